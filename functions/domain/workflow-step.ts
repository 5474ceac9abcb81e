import { type Entry, fold, toView } from "./escrow";
import { type EscrowEvent, eventFor } from "./events";
import { elapsedOf, type KindStep, kindOf, ownEntry, waitOf } from "./kinds/registry";
import { alertId, type OpsAlertType } from "./ops-alert-types";
import { pendingStep } from "./outcomes";
import type { EscrowState, EscrowTerms, EscrowView } from "./types";
import { DAY, secondsUntil } from "./windows";

/**
 * What the workflow does next, as decided by the escrow record. Every task
 * and every signal hands the workflow one step: the route to take
 * (`outcome`), the version of the record it accounts for and the timeout of
 * the wait that may follow. Because a step is a pure function of the record
 * and the last version the workflow has seen, the API, the wait task catching
 * up, the timeout branch and the reconciler all compute the same step, and
 * whichever signal arrives first, the workflow goes the same way.
 */
export type CommonStep =
  | "created"
  | "funded"
  | "cancelled"
  | "delivered"
  | "extended"
  /** Ops asked for evidence: the dispute's wait goes on to its (possibly later) deadline. */
  | "evidence_requested"
  | "refund_requested"
  | "disputed"
  | "release"
  | "refund"
  | "split"
  | "refund_unresolved"
  | "released"
  | "refunded"
  | "settled"
  | "escalated"
  /** A first part of the pending outcome moves (a rejected claim's undisputed part); the rest stays held. */
  | "partial"
  | "partially_settled"
  /** The wait is longer than the workflow keeps an execution for: the record holds it instead. */
  | "parked"
  /** The record names another execution as the one that carries the escrow: this one ends without acting. */
  | "superseded";

/** Every step outcome: the common ones and each kind's own (its module's, listed in the registry's `KindStep`). */
export type StepOutcome = CommonStep | KindStep;

/** What the workflow routes on (the state data and the signal output). */
export interface WorkflowStep {
  outcome: StepOutcome;
  version: number;
  timeoutSeconds: number;
}

/**
 * A message on the ops-alerts topic (API.md v1.2): shaped like the escrow
 * events, with an id stable per alert; the publisher adds `consoleUrl`, the
 * escrow's page in the ops console. `status` and `at` are v1.1's fields, kept.
 */
export interface OpsAlert {
  id: string;
  type: OpsAlertType;
  occurredAt: string;
  tenantId: string;
  escrowId: string;
  escrow: EscrowView;
  status: string;
  reason: string;
  at: string;
}

/** What a step announces: the marketplace's event and the ops alert, published by the task that takes the step. */
export interface StepNotices {
  event: EscrowEvent | null;
  alert: OpsAlert | null;
}

/**
 * A wait longer than this is not held by an execution (Standard executions end
 * at one year, and open executions are the quota that binds first): the
 * escrow parks in its record until the action that ends the wait, or the
 * reconciler at its deadline, starts the continuation.
 */
export const PARK_AFTER_SECONDS = 30 * DAY;

function outcomeOf(entry: Entry, state: EscrowState): StepOutcome {
  switch (entry.type) {
    case "funded":
      // The whole price is held: the kind's FUNDED wait (a lease's is long, and parks).
      return waitStep(state);
    case "partially_settled":
      return entry.type;
    case "payment_failed":
    case "cancelled":
      return "cancelled";
    case "delivered":
    case "extended":
    case "refund_requested":
    case "evidence_requested":
      return entry.type;
    case "disputed":
    case "refund_rejected":
      return "disputed";
    case "window_elapsed":
      return elapsedOf(state, entry.data.window)?.step ?? pendingStep(state, entry);
    case "confirmed":
    case "cancellation_requested":
    case "refund_accepted":
    case "resolution_accepted":
    case "settling":
      return pendingStep(state, entry);
    case "released":
    case "refunded":
    case "settled":
    case "escalated":
      return entry.type;
    case "created":
      return "created";
    case "resumed":
      return resumedOutcome(state);
    default: {
      // A kind's own entry: its module says where the workflow goes.
      const own = ownEntry(entry.type);
      if (!own) throw new Error(`unknown entry ${entry.type} at version ${entry.v}`);
      return own.step(state, entry);
    }
  }
}

/**
 * Where the workflow carries on once ops resume an escrow: the pending
 * outcome (a refused payout is tried again, with new movement keys), the
 * balance still to hold, or the wait of the escrow's status.
 */
function resumedOutcome(state: EscrowState): StepOutcome {
  if (state.pending) return state.pending.alertOps ? "refund_unresolved" : state.pending.outcome;
  const awaiting = kindOf(state).awaiting?.(state);
  if (awaiting) return awaiting.step;
  if (state.status === "PENDING_FUNDS") return "created";
  return waitStep(state);
}

/** The step into the wait of the escrow's status. */
function waitStep(state: EscrowState): StepOutcome {
  const wait = waitOf(state);
  if (!wait) throw new Error(`escrow ${state.id} is ${state.status}: no wait to carry on`);
  return wait.step;
}

const DISPUTE_UNRESOLVED = "The dispute window elapsed without a resolution; the buyer is refunded.";

/** The step for the entry at `version`, and what it announces. */
export function stepAt(
  terms: EscrowTerms,
  history: readonly Entry[],
  version: number,
  now: Date,
): WorkflowStep & StepNotices {
  const entry = history.find((e) => e.v === version);
  if (!entry) throw new Error(`escrow ${terms.id} has no version ${version}`);
  const state = fold(terms, history, version);
  const timeoutSeconds = state.deadline !== null ? secondsUntil(state.deadline, now) : 1;
  const outcome = outcomeOf(entry, state);
  // An unresolved dispute's alert is announced with the refund that follows it (by the task that settles).
  const settledUnresolved =
    (entry.type === "refunded" || entry.type === "settled" || entry.type === "released") &&
    fold(terms, history, version - 1).pending?.alertOps === true;
  const alert: OpsAlert | null =
    entry.type === "escalated"
      ? alertOf("escrow.needs_ops", `${entry.data.reason}: ${entry.data.detail}`)
      : settledUnresolved
        ? alertOf("escrow.dispute_unresolved", DISPUTE_UNRESOLVED, "DISPUTED")
        : null;
  return { outcome, version, timeoutSeconds, event: eventFor(entry, state), alert };

  function alertOf(type: OpsAlert["type"], reason: string, status: string = state.status): OpsAlert {
    const at = entry?.at ?? "";
    return {
      id: alertId(terms.id, version),
      type,
      occurredAt: at,
      tenantId: terms.tenantId,
      escrowId: terms.id,
      escrow: toView(state),
      status,
      reason,
      at,
    };
  }
}

/** The first step the workflow has not seen yet, or null when it is up to date. */
export function nextStep(
  terms: EscrowTerms,
  history: readonly Entry[],
  seenVersion: number,
  now: Date,
): (WorkflowStep & StepNotices) | null {
  const latest = history[history.length - 1]?.v ?? 0;
  return latest > seenVersion ? stepAt(terms, history, seenVersion + 1, now) : null;
}

/** Only what the workflow routes on: its state data and signals stay small. */
export const routeOf = (step: WorkflowStep): WorkflowStep => ({
  outcome: step.outcome,
  version: step.version,
  timeoutSeconds: step.timeoutSeconds,
});

/** The step a new escrow's first execution starts from: nothing seen but the creation (version 1). */
export const INITIAL_STEP: WorkflowStep = { outcome: "created", version: 1, timeoutSeconds: 1 };

/** The step that parks a wait: the workflow ends; the record keeps the wait. */
export const parkedStep = (version: number): WorkflowStep => ({
  outcome: "parked",
  version,
  timeoutSeconds: 1,
});

/** What a task answers when the record names another execution: this one ends without acting. */
export const supersededStep = (version: number): WorkflowStep => ({
  outcome: "superseded",
  version,
  timeoutSeconds: 1,
});

/**
 * How many executions may end without finishing the escrow at one version of
 * its record before ops are asked: an end from outside (an operator's
 * StopExecution, the one-year limit, a history over 25,000 events after a
 * long outage) is restarted from the record; one that ends again and again at
 * the same version is no longer something a restart decides.
 */
export const RESTARTS_PER_VERSION = 3;

/**
 * Execution names, each derived from the record (ARCHITECTURE.md v1.2
 * decision 2), so that a repeated start is refused by Step Functions itself:
 * the first execution is named after the escrow (ops find it by its id); a
 * continuation after a parked wait `<id>-p<version seen>` (the action and the
 * reconciler racing to start it start one); a restart of an execution that
 * ended without finishing the escrow `<id>-r<latest version>`, then
 * `<id>-r<version>-2` and `-3` for the next restarts at the same version.
 */
export const executionNames = {
  first: (escrowId: string) => escrowId,
  afterPark: (escrowId: string, seenVersion: number) => `${escrowId}-p${seenVersion}`,
  restart: (escrowId: string, version: number, attempt = 1) =>
    attempt <= 1 ? `${escrowId}-r${version}` : `${escrowId}-r${version}-${attempt}`,
  /** Which restart at `version` the name is (1, 2, …), or 0 when it is not one. */
  restartOf(escrowId: string, version: number, name: string): number {
    const base = `${escrowId}-r${version}`;
    if (name === base) return 1;
    if (!name.startsWith(`${base}-`)) return 0;
    const n = Number(name.slice(base.length + 1));
    return Number.isInteger(n) && n >= 2 ? n : 0;
  },
};
