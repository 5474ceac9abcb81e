import type { EntryDraft } from "../domain/entries";
import {
  declineBalance,
  type Entry,
  escalate,
  expire,
  failPayment,
  fold,
  fund,
  fundBalance,
} from "../domain/escrow";
import { kindOf } from "../domain/kinds/registry";
import { dueOf } from "../domain/reconciliation";
import { type EscrowState, isTerminal } from "../domain/types";
import {
  executionNames,
  nextStep,
  PARK_AFTER_SECONDS,
  parkedStep,
  routeOf,
  stepAt,
  supersededStep,
  type WorkflowStep,
} from "../domain/workflow-step";
import type { EscrowRecord, WaitRecord } from "../ports/escrow-store";
import type { EventPublisher } from "../ports/events";
import type { PaymentProvider } from "../ports/payment-provider";
import type { WorkflowEngine } from "../ports/workflow";
import { announce, announceSteps } from "./announce";
import { movementKeys, voidHold } from "./settle";
import { type EscrowRef, load, type StoreDeps, transact } from "./transact";

/**
 * The work behind each Task state. Every task reads the record, decides with
 * the domain and writes one conditional entry; run twice (a Step Functions
 * retry, or a continuation), it finds its entry already written and returns
 * the same step. Tasks publish what their step announces after the write;
 * a publish that fails never undoes it: the event is owed and the reconciler
 * publishes it. A task of an execution the record no longer names does
 * nothing and answers `superseded`: the execution ends (one escrow, one
 * running execution).
 */

export { announce } from "./announce";
export { movementKeys, settle } from "./settle";
export type { EscrowRef } from "./transact";

/** Which escrow, and the execution the task runs in (absent when called outside a workflow). */
export type TaskRef = EscrowRef & { execution?: string };

/** The workflow passes this through HoldFunds when an execution continues an escrow from its record. */
export class ResumeFromRecord extends Error {
  constructor(outcome: string) {
    super(`continuing from the record at '${outcome}'`);
    this.name = "ResumeFromRecord";
  }
}

/** The execution the record names as carrying the escrow. */
export const currentExecution = (record: EscrowRecord): string =>
  record.marks?.execution ?? executionNames.first(record.terms.id);

/** Whether a task of `ref.execution` must stand aside: the record names another execution. */
export const isSuperseded = (record: EscrowRecord, ref: TaskRef): boolean =>
  ref.execution !== undefined && ref.execution !== currentExecution(record);

const latestVersion = (record: EscrowRecord) => record.history[record.history.length - 1]?.v ?? 1;

const lastOf = (record: EscrowRecord, types: readonly Entry["type"][]): Entry | undefined =>
  [...record.history].reverse().find((e) => types.includes(e.type));

const stepOf = (record: EscrowRecord, version: number, now: Date) =>
  stepAt(record.terms, record.history, version, now);

/** HoldFunds: takes the hold (keyed: a repeat is a no-op) and records FUNDED. */
export async function holdFunds(
  deps: StoreDeps & { payments: PaymentProvider },
  ref: TaskRef & { resumeFrom?: string; balance?: boolean },
): Promise<WorkflowStep> {
  if (ref.balance) return holdBalance(deps, ref);
  if (ref.resumeFrom && ref.resumeFrom !== "created") throw new ResumeFromRecord(ref.resumeFrom);
  const result = await transact<WorkflowStep>(deps, ref, async (state, record, now) => {
    if (isSuperseded(record, ref)) return { done: supersededStep(latestVersion(record)) };
    if (state.status !== "PENDING_FUNDS") {
      const done = lastOf(record, ["funded", kindOf(state).firstHold, "payment_failed", "cancelled"]);
      if (done) return { done: stepOf(record, done.v, now) };
      throw new Error(`escrow ${state.id} is ${state.status} but was never funded`);
    }
    const { reference } = await deps.payments.hold({
      tenantId: state.tenantId,
      escrowId: state.id,
      key: movementKeys.hold(state.id),
      paymentMethod: state.paymentMethod,
      // The whole amount, unless the kind holds less first (a car's reservation deposit).
      amount: kindOf(state).firstHoldAmount?.(state) ?? state.amount,
      currency: state.currency,
    });
    return { append: fund(state, reference) };
  });
  return "done" in result ? routeOf(result.done) : routeOf(stepOf(result.record, result.entry.v, deps.now()));
}

/**
 * A task on the balance of a kind that holds it second (a car's): `act` moves
 * its money and answers the entry to record. Once recorded by an earlier run, or decided otherwise meanwhile
 * (ops), there is no balance due: the record says where it is.
 */
async function onBalance(
  deps: StoreDeps & { payments: PaymentProvider },
  ref: TaskRef,
  act: (state: EscrowState & { balanceDue: NonNullable<EscrowState["balanceDue"]> }) => Promise<EntryDraft>,
): Promise<WorkflowStep> {
  const result = await transact<WorkflowStep>(deps, ref, async (state, record, now) => {
    if (isSuperseded(record, ref)) return { done: supersededStep(latestVersion(record)) };
    const { balanceDue } = state;
    if (!balanceDue) {
      const declined = kindOf(state).balanceDeclined;
      const done = lastOf(record, declined ? ["funded", declined] : ["funded"]);
      return { done: stepOf(record, done?.v ?? latestVersion(record), now) };
    }
    return { append: await act({ ...state, balanceDue }) };
  });
  return "done" in result ? routeOf(result.done) : routeOf(stepOf(result.record, result.entry.v, deps.now()));
}

/** HoldBalance: a car's balance after an accepted inspection (its own key), then FUNDED. */
const holdBalance = (deps: StoreDeps & { payments: PaymentProvider }, ref: TaskRef) =>
  onBalance(deps, ref, async (state) => {
    const { reference } = await deps.payments.hold({
      tenantId: state.tenantId,
      escrowId: state.id,
      key: movementKeys.balance(state.id),
      paymentMethod: state.balanceDue.paymentMethod,
      amount: state.amount - state.funded,
      currency: state.currency,
    });
    return fundBalance(state, reference);
  });

/** RecordBalanceDeclined: the balance was declined or stayed unavailable: let go of it; the deposit goes back. */
export const recordBalanceDeclined = (deps: StoreDeps & { payments: PaymentProvider }, ref: TaskRef) =>
  onBalance(deps, ref, async (state) => {
    await voidHold(deps, state, "balance");
    return declineBalance(state);
  });

export const FAILURE_REASONS: Record<string, string> = {
  PaymentDeclined: "payment_declined",
  PaymentUnavailable: "payment_unavailable",
};

/**
 * RecordPaymentFailure: the hold was declined, or the provider stayed
 * unavailable. A hold that may have gone through unseen is let go first, then
 * CANCELLED is recorded and announced.
 */
export async function recordPaymentFailure(
  deps: StoreDeps & { payments: PaymentProvider; events: EventPublisher },
  ref: TaskRef & { error: string; balance?: boolean },
): Promise<WorkflowStep> {
  if (ref.balance) return recordBalanceDeclined(deps, ref);
  const result = await transact<Entry | "superseded">(deps, ref, async (state, record) => {
    if (isSuperseded(record, ref)) return { done: "superseded" };
    if (state.status !== "PENDING_FUNDS") {
      const done = lastOf(record, ["payment_failed", "cancelled", "funded", kindOf(state).firstHold]);
      if (done) return { done };
    }
    await voidHold(deps, state, "hold");
    return { append: failPayment(state, FAILURE_REASONS[ref.error] ?? "payment_unavailable") };
  });
  if ("done" in result && result.done === "superseded")
    return supersededStep(latestVersion(await load(deps, ref)));
  const [record, version] =
    "done" in result ? [await load(deps, ref), (result.done as Entry).v] : [result.record, result.entry.v];
  const step = stepOf(record, version, deps.now());
  await announce(deps, ref, step);
  return routeOf(step);
}

/**
 * The Lambda of every `waitForTaskToken` state. Publishes the events of the
 * steps the workflow brings that are not out yet, stores the token, then looks
 * at the record: an action recorded after the version the workflow has seen
 * (it raced ahead of this wait) ends the wait at once; a wait longer than
 * PARK_AFTER_SECONDS parks in the record and the execution ends.
 */
export async function beginWait(
  deps: StoreDeps & {
    workflow: WorkflowEngine;
    events: EventPublisher;
    parkAfterSeconds?: number;
    /** How far ahead of its time a reminder may go out (the reconciler's period in AWS; 0 locally). */
    reminderEarlySeconds?: number;
  },
  ref: TaskRef & { seenVersion: number; taskToken: string; execution: string },
): Promise<void> {
  const now = deps.now();
  let record = await load(deps, ref);
  if (isSuperseded(record, ref)) {
    await deps.workflow.signal(ref.taskToken, supersededStep(ref.seenVersion));
    return;
  }
  const before = await deps.store.waits.get(ref.tenantId, ref.escrowId);
  // The tasks before a wait record steps; the wait announces what is not out yet (a failure is owed).
  const published = await announceSteps(deps, ref, record, before?.published ?? 0, ref.seenVersion, {
    alerts: false,
  });
  const wait: WaitRecord = {
    token: ref.taskToken,
    seenVersion: ref.seenVersion,
    since: now.toISOString(),
    execution: ref.execution,
    parked: false,
    published: Math.max(published, before?.published ?? 0),
  };
  await deps.store.waits.put(ref.tenantId, ref.escrowId, wait);
  for (;;) {
    record = await load(deps, ref);
    const next = nextStep(record.terms, record.history, ref.seenVersion, deps.now());
    if (next) {
      await deps.workflow.signal(ref.taskToken, next);
      return;
    }
    const latest = fold(record.terms, record.history);
    const waitSeconds = latest.deadline ? (Date.parse(latest.deadline) - now.getTime()) / 1000 : 0;
    if (latest.deadline && waitSeconds <= 0 && !latest.attention) {
      // Its deadline passed while this task was retried (an outage): the wait would time out only a whole
      // window after this attempt began, so the deadline is applied now, as its timeout would.
      await deps.workflow.signal(ref.taskToken, await applyDeadline(deps, ref));
      return;
    }
    if (waitSeconds <= (deps.parkAfterSeconds ?? PARK_AFTER_SECONDS)) return;
    // Park: the record keeps the wait — due at its deadline — before the execution is told to end, so a
    // failure in between strands nothing. The token is kept: until the execution has ended, an action can
    // still signal it; after, the action (or the reconciler at the deadline) starts the continuation.
    const marks = record.marks;
    if (marks) {
      const parkedMarks = { ...marks, parked: true };
      const due = dueOf(latest, parkedMarks, deps.now().toISOString(), deps.reminderEarlySeconds);
      const read = { version: latest.version, mv: marks.mv };
      // The record moved meanwhile (an action): read it again, and hand the workflow its step instead.
      if (!(await deps.store.marks.set(ref.tenantId, ref.escrowId, read, { parked: true, due }))) continue;
    }
    await deps.store.waits.put(ref.tenantId, ref.escrowId, { ...wait, parked: true });
    await deps.workflow.signal(ref.taskToken, parkedStep(ref.seenVersion));
    return;
  }
}

/**
 * ApplyDeadlineOutcome: a wait timed out. If an action was accepted in the
 * meantime, the workflow carries it out (the caller's 202 stands); otherwise
 * the automatic outcome is claimed with the same kind of conditional write, so
 * a late action loses with 409.
 */
export async function applyDeadline(
  deps: StoreDeps,
  ref: TaskRef & { seenVersion: number },
): Promise<WorkflowStep> {
  const result = await transact<WorkflowStep>(deps, ref, (state, record, now) => {
    if (isSuperseded(record, ref)) return { done: supersededStep(latestVersion(record)) };
    const step = nextStep(record.terms, record.history, ref.seenVersion, now);
    if (step) return { done: step };
    return { append: expire(state) };
  });
  return routeOf("done" in result ? result.done : stepOf(result.record, result.entry.v, deps.now()));
}

/**
 * EscalateToOps: what no retry can decide (the provider refused a payout for
 * good, or the record sent an outcome the workflow has no route for): mark
 * the escrow with the reason, alert ops, and park it until they act.
 */
export async function escalateToOps(
  deps: StoreDeps & { events: EventPublisher },
  ref: TaskRef & { error: string; cause: string },
): Promise<WorkflowStep> {
  const reason =
    ref.error === "PayoutRejected"
      ? "payout_rejected"
      : ref.error === "UnexpectedStep"
        ? "unexpected_step"
        : "workflow_failing";
  const result = await transact<Entry | null | "superseded">(deps, ref, (state, record) => {
    if (isSuperseded(record, ref)) return { done: "superseded" };
    if (state.attention) return { done: lastOf(record, ["escalated"]) ?? null };
    if (isTerminal(state.status)) return { done: null };
    return { append: escalate(state, reason, describeFailure(ref.error, ref.cause)) };
  });
  if ("done" in result && result.done === "superseded")
    return supersededStep(latestVersion(await load(deps, ref)));
  const [record, version] =
    "done" in result
      ? [await load(deps, ref), (result.done as Entry | null)?.v ?? null]
      : [result.record, result.entry.v];
  if (version === null) return routeOf(stepOf(record, latestVersion(record), deps.now()));
  const step = stepOf(record, version, deps.now());
  // The alert, with whatever the workflow had not announced before it (a failure is owed).
  const wait = await deps.store.waits.get(ref.tenantId, ref.escrowId);
  const published = await announceSteps(deps, ref, record, wait?.published ?? 0, version);
  // Parked for ops: no token; their resolution (or resume) starts the continuation.
  await deps.store.waits.put(ref.tenantId, ref.escrowId, {
    token: null,
    seenVersion: version,
    since: deps.now().toISOString(),
    execution: ref.execution ?? wait?.execution ?? ref.escrowId,
    parked: true,
    published,
  });
  return routeOf(step);
}

/** A readable reason from a Catch's {Error, Cause}: a Lambda error's Cause is JSON with its message and stack. */
export function describeFailure(error: string, cause: string): string {
  let message = cause;
  try {
    const parsed = JSON.parse(cause) as { errorType?: string; errorMessage?: string };
    if (typeof parsed?.errorMessage === "string") message = parsed.errorMessage;
  } catch {
    // not JSON: the cause is already a message
  }
  return (message ? `${error}: ${message}` : error).slice(0, 500);
}
