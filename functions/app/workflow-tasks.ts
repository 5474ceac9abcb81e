import {
  beginSettling,
  declineBalance,
  type Entry,
  escalate,
  expire,
  failPayment,
  fold,
  fund,
  fundBalance,
  movementFor,
  settleEscrow,
} from "../domain/escrow";
import { reminderMark } from "../domain/reminders";
import { type EscrowState, isTerminal } from "../domain/types";
import {
  nextStep,
  PARK_AFTER_SECONDS,
  parkedStep,
  routeOf,
  type StepNotices,
  stepAt,
  type WorkflowStep,
} from "../domain/workflow-step";
import type { EscrowRecord } from "../ports/escrow-store";
import type { EventPublisher } from "../ports/events";
import type { PaymentProvider } from "../ports/payment-provider";
import type { WorkflowEngine } from "../ports/workflow";
import { type EscrowRef, load, type StoreDeps, transact } from "./transact";

/**
 * The work behind each Task state. Every task reads the record, decides with
 * the domain and writes one conditional entry; run twice (a Step Functions
 * retry, or a continuation), it finds its entry already written and returns
 * the same step. Tasks publish what their step announces after the write;
 * a publish that fails never undoes it: the event is owed and the reconciler
 * publishes it.
 */

export type { EscrowRef } from "./transact";

/** The workflow passes this through HoldFunds when an execution continues an escrow from its record. */
export class ResumeFromRecord extends Error {
  constructor(outcome: string) {
    super(`continuing from the record at '${outcome}'`);
    this.name = "ResumeFromRecord";
  }
}

/** Movement keys: one per movement of an escrow, so a repeat is a no-op at the provider. */
export const movementKeys = {
  hold: (escrowId: string) => `${escrowId}:hold`,
  void: (escrowId: string) => `${escrowId}:void`,
  /** A car's second hold, after its reservation deposit. */
  balance: (escrowId: string) => `${escrowId}:hold:balance`,
  voidBalance: (escrowId: string) => `${escrowId}:void:balance`,
  transfer: (escrowId: string, type: "payout" | "fee" | "refund", attempt: number) =>
    `${escrowId}:${type}:${attempt}`,
};

const lastOf = (record: EscrowRecord, types: readonly Entry["type"][]): Entry | undefined =>
  [...record.history].reverse().find((e) => types.includes(e.type));

const stepOf = (record: EscrowRecord, version: number, now: Date) =>
  stepAt(record.terms, record.history, version, now);

/** Publishes what a step announces; on failure the escrow is marked for the reconciler, which publishes it. */
export async function announce(
  deps: StoreDeps & { events: EventPublisher },
  ref: EscrowRef,
  notices: StepNotices,
): Promise<boolean> {
  try {
    if (notices.alert) await deps.events.alert(notices.alert);
    if (notices.event) await deps.events.publish(notices.event);
    return true;
  } catch {
    await deps.store.markDue(ref.tenantId, ref.escrowId, deps.now().toISOString());
    return false;
  }
}

/** HoldFunds: takes the hold (keyed: a repeat is a no-op) and records FUNDED. */
export async function holdFunds(
  deps: StoreDeps & { payments: PaymentProvider },
  ref: EscrowRef & { resumeFrom?: string; balance?: boolean },
): Promise<WorkflowStep> {
  if (ref.balance) return holdBalance(deps, ref);
  if (ref.resumeFrom && ref.resumeFrom !== "created") throw new ResumeFromRecord(ref.resumeFrom);
  const result = await transact<WorkflowStep>(deps, ref, async (state, record, now) => {
    if (state.status !== "PENDING_FUNDS") {
      const done = lastOf(record, ["funded", "reserved", "payment_failed", "cancelled"]);
      if (done) return { done: stepOf(record, done.v, now) };
      throw new Error(`escrow ${state.id} is ${state.status} but was never funded`);
    }
    const { reference } = await deps.payments.hold({
      tenantId: state.tenantId,
      escrowId: state.id,
      key: movementKeys.hold(state.id),
      paymentMethod: state.paymentMethod,
      // A car's reservation deposit first; everything else the whole amount.
      amount: state.deposit ?? state.amount,
      currency: state.currency,
    });
    return { append: fund(state, reference) };
  });
  return "done" in result ? routeOf(result.done) : routeOf(stepOf(result.record, result.entry.v, deps.now()));
}

/** HoldBalance: a car's balance after an accepted inspection (its own key), then FUNDED. */
async function holdBalance(
  deps: StoreDeps & { payments: PaymentProvider },
  ref: EscrowRef,
): Promise<WorkflowStep> {
  const result = await transact<WorkflowStep>(deps, ref, async (state, record, now) => {
    if (!state.balanceDue) {
      const done = lastOf(record, ["funded", "balance_declined"]);
      if (done) return { done: stepOf(record, done.v, now) };
      throw new Error(`escrow ${state.id} has no balance due in ${state.status}`);
    }
    const { reference } = await deps.payments.hold({
      tenantId: state.tenantId,
      escrowId: state.id,
      key: movementKeys.balance(state.id),
      paymentMethod: state.balanceDue.paymentMethod,
      amount: state.amount - state.funded,
      currency: state.currency,
    });
    return { append: fundBalance(state, reference) };
  });
  return "done" in result ? routeOf(result.done) : routeOf(stepOf(result.record, result.entry.v, deps.now()));
}

/** RecordBalanceDeclined: the balance was declined or stayed unavailable: let go of it; the deposit goes back. */
export async function recordBalanceDeclined(
  deps: StoreDeps & { payments: PaymentProvider },
  ref: EscrowRef,
): Promise<WorkflowStep> {
  const result = await transact<WorkflowStep>(deps, ref, async (state, record, now) => {
    if (!state.balanceDue) {
      const done = lastOf(record, ["balance_declined", "funded"]);
      if (done) return { done: stepOf(record, done.v, now) };
      throw new Error(`escrow ${state.id} has no balance due in ${state.status}`);
    }
    await deps.payments.void({
      tenantId: state.tenantId,
      escrowId: state.id,
      key: movementKeys.voidBalance(state.id),
      holdKey: movementKeys.balance(state.id),
      currency: state.currency,
    });
    return { append: declineBalance(state) };
  });
  return "done" in result ? routeOf(result.done) : routeOf(stepOf(result.record, result.entry.v, deps.now()));
}

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
  ref: EscrowRef & { error: string; balance?: boolean },
): Promise<WorkflowStep> {
  if (ref.balance) return recordBalanceDeclined(deps, ref);
  const result = await transact<Entry>(deps, ref, async (state, record) => {
    if (state.status !== "PENDING_FUNDS") {
      const done = lastOf(record, ["payment_failed", "cancelled", "funded", "reserved"]);
      if (done) return { done };
    }
    await voidHold(deps, state);
    return { append: failPayment(state, FAILURE_REASONS[ref.error] ?? "payment_unavailable") };
  });
  const [record, version] =
    "done" in result ? [await load(deps, ref), result.done.v] : [result.record, result.entry.v];
  const step = stepOf(record, version, deps.now());
  await announce(deps, ref, step);
  return routeOf(step);
}

const voidHold = (deps: { payments: PaymentProvider }, state: EscrowState) =>
  deps.payments.void({
    tenantId: state.tenantId,
    escrowId: state.id,
    key: movementKeys.void(state.id),
    holdKey: movementKeys.hold(state.id),
    currency: state.currency,
  });

/**
 * The Lambda of every `waitForTaskToken` state. Publishes the event of the
 * step the workflow brings (unless it was published already), stores the
 * token, then looks at the record: an action recorded after the version the
 * workflow has seen (it raced ahead of this wait) ends the wait at once; a
 * wait longer than PARK_AFTER_SECONDS parks in the record and the execution
 * ends.
 */
export async function beginWait(
  deps: StoreDeps & {
    workflow: WorkflowEngine;
    events: EventPublisher;
    parkAfterSeconds?: number;
    /** How far ahead of its time a reminder may go out (the reconciler's period in AWS; 0 locally). */
    reminderEarlySeconds?: number;
  },
  ref: EscrowRef & { seenVersion: number; taskToken: string; execution: string },
): Promise<void> {
  const now = deps.now();
  const before = await deps.store.getWait(ref.tenantId, ref.escrowId);
  let record = await load(deps, ref);
  let published = before?.published ?? 0;
  // Owed events are all after `published`: this wait publishes them again first.
  let owedFrom: number | null = null;
  // The events of every step up to the one this wait was entered with that the workflow has not
  // announced yet (the tasks before a wait record steps; the wait announces them).
  for (let v = published + 1; v <= ref.seenVersion; v++) {
    const { event } = stepOf(record, v, now);
    try {
      if (event) await deps.events.publish(event);
      published = v;
    } catch {
      owedFrom = Math.min(owedFrom ?? v, v);
      break;
    }
  }
  const state = fold(record.terms, record.history);
  const reminded = before?.reminded ?? null;
  const wait = {
    token: ref.taskToken,
    seenVersion: ref.seenVersion,
    since: now.toISOString(),
    execution: ref.execution,
    parked: false,
    published,
    owedFrom,
    // An owed event is due at once: the reconciler's next run publishes it; the wait's reminder when
    // its time comes (never in the past, so a mark is always new to the reconciler).
    due: soonest(
      owedFrom !== null ? now.toISOString() : null,
      reminderMark(state, reminded, now, deps.reminderEarlySeconds),
    ),
    reminded,
  };
  await deps.store.putWait(ref.tenantId, ref.escrowId, wait);
  record = await load(deps, ref);
  const next = nextStep(record.terms, record.history, ref.seenVersion, deps.now());
  if (next) {
    await deps.workflow.signal(ref.taskToken, next);
    return;
  }
  const latest = fold(record.terms, record.history);
  const waitSeconds = latest.deadline ? (Date.parse(latest.deadline) - now.getTime()) / 1000 : 0;
  if (waitSeconds > (deps.parkAfterSeconds ?? PARK_AFTER_SECONDS)) {
    // Park: the record keeps the wait (marked due at its deadline) before the execution is told to end,
    // so a failure in between strands nothing. The token is kept: until the execution has ended, an
    // action can still signal it; after, the action (or the reconciler at the deadline) starts the
    // continuation.
    await deps.store.putWait(ref.tenantId, ref.escrowId, {
      ...wait,
      parked: true,
      due: soonest(wait.due, latest.deadline),
    });
    await deps.workflow.signal(ref.taskToken, parkedStep(ref.seenVersion));
  }
}

const soonest = (a: string | null, b: string | null): string | null =>
  a === null ? b : b === null ? a : a < b ? a : b;

/**
 * ApplyDeadlineOutcome: a wait timed out. If an action was accepted in the
 * meantime, the workflow carries it out (the caller's 202 stands); otherwise
 * the automatic outcome is claimed with the same kind of conditional write, so
 * a late action loses with 409.
 */
export async function applyDeadline(
  deps: StoreDeps,
  ref: EscrowRef & { seenVersion: number },
): Promise<WorkflowStep> {
  const result = await transact<WorkflowStep>(deps, ref, (state, record, now) => {
    const step = nextStep(record.terms, record.history, ref.seenVersion, now);
    if (step) return { done: step };
    return { append: expire(state) };
  });
  return routeOf("done" in result ? result.done : stepOf(result.record, result.entry.v, deps.now()));
}

/**
 * ReleaseToSeller / RefundBuyer / SplitSettlement: moves the money the
 * record's pending outcome decided, exactly once. The `settling` entry is
 * written before the provider is called (from then on the outcome can only be
 * repeated); every movement carries its key; then the outcome is recorded and
 * announced.
 */
export async function settle(
  deps: StoreDeps & { payments: PaymentProvider; events: EventPublisher },
  ref: EscrowRef,
): Promise<WorkflowStep> {
  await transact<EscrowState>(deps, ref, (state) => {
    if (!state.pending || state.settling || state.status === "PENDING_FUNDS") return { done: state };
    return { append: beginSettling(state) };
  });
  const result = await transact<Entry>(deps, ref, async (state, record, now) => {
    if (!state.pending) {
      // A retry, or a continuation: the movement was recorded by an earlier run.
      const done = lastOf(record, [...SETTLED_BY]);
      if (done) return { done };
      throw new Error(`escrow ${state.id} has nothing pending to settle in ${state.status}`);
    }
    const draft = settleEscrow(state);
    if (draft.type === "cancelled") await voidHold(deps, state);
    else await moveMoney(deps, state, now);
    return { append: draft };
  });
  const [record, version] =
    "done" in result ? [await load(deps, ref), result.done.v] : [result.record, result.entry.v];
  const step = stepOf(record, version, deps.now());
  // A terminal outcome is announced here; a first step (the undisputed part) by the wait that follows.
  if (isTerminal(fold(record.terms, record.history, version).status)) {
    await announce(deps, ref, step);
    // The last wait's reminder mark is not needed any more (its wait ended before it was due): a write
    // now costs less than the reconciler's visit later. A failure leaves the visit.
    await deps.store.clearWaitMark(ref.tenantId, ref.escrowId).catch(() => undefined);
  }
  return routeOf(step);
}

/** The entries a settlement writes. */
const SETTLED_BY = [
  "released",
  "refunded",
  "settled",
  "cancelled",
  "payment_failed",
  "partially_settled",
] as const;

async function moveMoney(deps: { payments: PaymentProvider }, state: EscrowState, now: Date): Promise<void> {
  const s = movementFor(state, now.toISOString());
  const attempt = state.settling?.attempt ?? state.settleAttempts;
  if (!s) return;
  const base = {
    tenantId: state.tenantId,
    escrowId: state.id,
    currency: state.currency,
    holdReference: state.paymentRef,
  };
  // The payout first: it is the one movement the provider may refuse for good (PayoutRejected), and
  // a refused payout must have moved nothing, since ops may then choose another outcome.
  const moves = [
    ["payout", s.paidToSeller],
    ["fee", s.platformFee],
    ["refund", s.refundedToBuyer],
  ] as const;
  for (const [type, amount] of moves)
    if (amount > 0)
      await deps.payments.transfer({
        ...base,
        type,
        amount,
        key: movementKeys.transfer(state.id, type, attempt),
      });
}

/**
 * EscalateToOps: what no retry can decide (the provider refused a payout for
 * good, or the record sent an outcome the workflow has no route for): mark
 * the escrow with the reason, alert ops, and park it until their resolution.
 */
export async function escalateToOps(
  deps: StoreDeps & { events: EventPublisher },
  ref: EscrowRef & { error: string; cause: string; execution?: string },
): Promise<WorkflowStep> {
  const reason =
    ref.error === "PayoutRejected"
      ? "payout_rejected"
      : ref.error === "UnexpectedStep"
        ? "unexpected_step"
        : "workflow_failing";
  const result = await transact<Entry | null>(deps, ref, (state, record) => {
    if (state.attention) return { done: lastOf(record, ["escalated"]) ?? null };
    if (isTerminal(state.status)) return { done: null };
    return { append: escalate(state, reason, describeFailure(ref.error, ref.cause)) };
  });
  const [record, version] =
    "done" in result ? [await load(deps, ref), result.done?.v ?? null] : [result.record, result.entry.v];
  if (version === null) return routeOf(stepOf(record, record.history.length, deps.now()));
  const step = stepOf(record, version, deps.now());
  await announce(deps, ref, step);
  // Parked for ops: no token, no deadline; their resolution starts the continuation.
  const wait = await deps.store.getWait(ref.tenantId, ref.escrowId);
  await deps.store.putWait(ref.tenantId, ref.escrowId, {
    token: null,
    seenVersion: version,
    since: deps.now().toISOString(),
    execution: ref.execution ?? wait?.execution ?? ref.escrowId,
    parked: true,
    published: version,
    owedFrom: wait?.owedFrom ?? null,
    due: wait?.due ?? null,
    reminded: wait?.reminded ?? null,
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
