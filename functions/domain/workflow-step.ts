import { type Entry, fold } from "./escrow";
import { type EscrowEvent, eventFor } from "./events";
import type { EscrowState, EscrowTerms } from "./types";
import { DAY, secondsUntil } from "./windows";

/**
 * What the workflow does next, as decided by the escrow record. Every task
 * and every signal hands the workflow one step: the route to take
 * (`outcome`), the version of the record it accounts for, the event to
 * publish and the timeout of the wait that may follow. Because a step is a
 * pure function of the record and the last version the workflow has seen, the
 * API, the wait task catching up and the timeout branch all compute the same
 * step, and whichever signal arrives first, the workflow goes the same way.
 */
export type StepOutcome =
  | "created"
  | "funded"
  | "cancelled"
  | "delivered"
  | "extended"
  | "refund_requested"
  | "disputed"
  | "release"
  | "refund"
  | "split"
  | "refund_unresolved"
  | "released"
  | "refunded"
  | "settled"
  | "escalated";

export interface WorkflowStep {
  outcome: StepOutcome;
  version: number;
  event: EscrowEvent | null;
  timeoutSeconds: number;
  /** A message for the ops alert topic, when ops must act or be told. */
  alert: OpsAlert | null;
}

export interface OpsAlert {
  type: "escrow.needs_ops" | "escrow.dispute_unresolved";
  tenantId: string;
  escrowId: string;
  status: string;
  reason: string;
  at: string;
}

/** How long ops have to repair an escrow whose workflow failed before the execution gives up. */
export const REPAIR_WINDOW_SECONDS = 30 * DAY;

function outcomeOf(entry: Entry, state: EscrowState): StepOutcome {
  switch (entry.type) {
    case "funded":
      return "funded";
    case "payment_failed":
    case "cancelled":
      return "cancelled";
    case "delivered":
    case "extended":
    case "refund_requested":
      return entry.type;
    case "disputed":
    case "refund_rejected":
      return "disputed";
    case "confirmed":
    case "cancellation_requested":
    case "refund_accepted":
    case "resolution_accepted":
    case "window_elapsed":
      if (!state.pending) throw new Error(`${entry.type} at version ${entry.v} left nothing pending`);
      return state.pending.alertOps ? "refund_unresolved" : state.pending.outcome;
    case "released":
    case "refunded":
    case "settled":
    case "escalated":
      return entry.type;
    case "created":
      throw new Error("The creation of an escrow is not a workflow step.");
  }
}

/** The step for the entry at `version`. */
export function stepAt(
  terms: EscrowTerms,
  history: readonly Entry[],
  version: number,
  now: Date,
): WorkflowStep {
  const entry = history.find((e) => e.v === version);
  if (!entry) throw new Error(`escrow ${terms.id} has no version ${version}`);
  const state = fold(terms, history, version);
  const timeoutSeconds =
    entry.type === "escalated"
      ? REPAIR_WINDOW_SECONDS
      : state.deadline !== null
        ? secondsUntil(state.deadline, now)
        : 1;
  const outcome = outcomeOf(entry, state);
  const alert: OpsAlert | null =
    entry.type === "escalated"
      ? alertOf("escrow.needs_ops", entry.data.reason)
      : outcome === "refund_unresolved"
        ? alertOf(
            "escrow.dispute_unresolved",
            "The dispute window elapsed without a resolution; the buyer is refunded.",
          )
        : null;
  return { outcome, version, event: eventFor(entry, state), timeoutSeconds, alert };

  function alertOf(type: OpsAlert["type"], reason: string): OpsAlert {
    return {
      type,
      tenantId: terms.tenantId,
      escrowId: terms.id,
      status: state.status,
      reason,
      at: entry?.at ?? "",
    };
  }
}

/** The first step the workflow has not seen yet, or null when it is up to date. */
export function nextStep(
  terms: EscrowTerms,
  history: readonly Entry[],
  seenVersion: number,
  now: Date,
): WorkflowStep | null {
  const latest = history[history.length - 1]?.v ?? 0;
  return latest > seenVersion ? stepAt(terms, history, seenVersion + 1, now) : null;
}
