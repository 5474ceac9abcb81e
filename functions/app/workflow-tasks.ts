import { ConcurrentUpdateError } from "../domain/errors";
import {
  apply,
  type Entry,
  type EntryDraft,
  escalate,
  expire,
  failPayment,
  fold,
  fund,
  settleEscrow,
  settlementFor,
} from "../domain/escrow";
import { ledgerViolations } from "../domain/ledger";
import { type EscrowState, isTerminal } from "../domain/types";
import { nextStep, REPAIR_WINDOW_SECONDS, stepAt, type WorkflowStep } from "../domain/workflow-step";
import type { EscrowRecord } from "../ports/escrow-store";
import type { ServiceDeps } from "./escrow-service";

/**
 * The work behind each Task state. Every task reads the record, decides with
 * the domain and writes one conditional entry; run twice (a Step Functions
 * retry), it finds its entry already written and returns the same step.
 */

export interface EscrowRef {
  tenantId: string;
  escrowId: string;
}

const MAX_ATTEMPTS = 8;

async function load(deps: ServiceDeps, ref: EscrowRef): Promise<EscrowRecord> {
  const record = await deps.store.get(ref.tenantId, ref.escrowId);
  if (!record) throw new Error(`escrow ${ref.escrowId} of tenant ${ref.tenantId} does not exist`);
  return record;
}

/**
 * Reads, decides and appends until the write wins. `decide` returns either a
 * draft to append or a step that is already the answer (the work was done).
 */
async function transact(
  deps: ServiceDeps,
  ref: EscrowRef,
  decide: (
    state: EscrowState,
    record: EscrowRecord,
  ) => Promise<EntryDraft | WorkflowStep> | EntryDraft | WorkflowStep,
): Promise<WorkflowStep> {
  for (let attempt = 1; ; attempt++) {
    const record = await load(deps, ref);
    const state = fold(record.terms, record.history);
    const decided = await decide(state, record);
    if ("outcome" in decided) return decided;
    const now = deps.now();
    const { entry, state: next } = apply(state, decided, now);
    const broken = ledgerViolations(next);
    if (broken.length > 0) throw new Error(`refusing to write a broken ledger: ${broken.join("; ")}`);
    try {
      await deps.store.append(record, entry, state, next);
    } catch (error) {
      if (error instanceof ConcurrentUpdateError && attempt < MAX_ATTEMPTS) continue;
      throw error;
    }
    return stepAt(record.terms, [...record.history, entry], entry.v, now);
  }
}

const lastOf = (record: EscrowRecord, types: readonly Entry["type"][]): Entry | undefined =>
  [...record.history].reverse().find((e) => types.includes(e.type));

/** HoldFunds: takes the hold at the payment provider and records FUNDED. */
export function holdFunds(deps: ServiceDeps, ref: EscrowRef): Promise<WorkflowStep> {
  return transact(deps, ref, async (state, record) => {
    if (state.status !== "PENDING_FUNDS") {
      const done = lastOf(record, ["funded", "payment_failed", "cancelled"]);
      if (done) return stepAt(record.terms, record.history, done.v, deps.now());
      throw new Error(`escrow ${state.id} is ${state.status} but was never funded`);
    }
    const { reference } = await deps.payments.hold({
      tenantId: state.tenantId,
      escrowId: state.id,
      paymentMethod: state.paymentMethod,
      amount: state.amount,
      currency: state.currency,
    });
    return fund(state, reference);
  });
}

export const FAILURE_REASONS: Record<string, string> = {
  PaymentDeclined: "payment_declined",
  PaymentUnavailable: "payment_unavailable",
};

/** RecordPaymentFailure: the hold was declined, or the provider stayed unavailable: CANCELLED. */
export function recordPaymentFailure(
  deps: ServiceDeps,
  ref: EscrowRef,
  errorName: string,
): Promise<WorkflowStep> {
  return transact(deps, ref, (state, record) => {
    if (state.status !== "PENDING_FUNDS") {
      const done = lastOf(record, ["payment_failed", "funded", "cancelled"]);
      if (done) return stepAt(record.terms, record.history, done.v, deps.now());
    }
    return failPayment(state, FAILURE_REASONS[errorName] ?? "payment_unavailable");
  });
}

/**
 * The Lambda of every `waitForTaskToken` state: stores the token, then looks
 * at the record. If an action was recorded after the version the workflow has
 * seen (it raced ahead of this wait), the wait ends at once with that step.
 */
export async function beginWait(
  deps: ServiceDeps,
  ref: EscrowRef & { seenVersion: number; taskToken: string },
): Promise<void> {
  const now = deps.now();
  const expiresAt = Math.floor(now.getTime() / 1000) + 2 * REPAIR_WINDOW_SECONDS + 120 * 86_400;
  await deps.store.putWait(
    ref.tenantId,
    ref.escrowId,
    { token: ref.taskToken, seenVersion: ref.seenVersion, since: now.toISOString() },
    expiresAt,
  );
  const record = await load(deps, ref);
  const step = nextStep(record.terms, record.history, ref.seenVersion, deps.now());
  if (step) await deps.workflow.signal(ref.taskToken, step);
}

/**
 * ApplyDeadlineOutcome: a wait timed out. If an action was accepted in the
 * meantime, the workflow carries it out (the caller's 202 stands); otherwise
 * the automatic outcome is claimed with the same kind of conditional write, so
 * a late action loses with 409.
 */
export function applyDeadline(
  deps: ServiceDeps,
  ref: EscrowRef & { seenVersion: number },
): Promise<WorkflowStep> {
  return transact(deps, ref, (state, record) => {
    const step = nextStep(record.terms, record.history, ref.seenVersion, deps.now());
    if (step) return step;
    return expire(state);
  });
}

/** ReleaseToSeller / RefundBuyer / SplitSettlement: moves the money the record's pending action decided, once. */
export function settle(deps: ServiceDeps, ref: EscrowRef): Promise<WorkflowStep> {
  return transact(deps, ref, async (state, record) => {
    if (isTerminal(state.status)) {
      const done = lastOf(record, ["released", "refunded", "settled", "cancelled", "payment_failed"]);
      if (done) return stepAt(record.terms, record.history, done.v, deps.now());
    }
    const draft = settleEscrow(state);
    const settlement = settlementFor(state, deps.now().toISOString());
    if (draft.type !== "cancelled" && settlement) {
      // The provider moves the money first (idempotent per escrow); the record follows.
      await deps.payments.settle({
        tenantId: state.tenantId,
        escrowId: state.id,
        holdReference: state.paymentRef,
        currency: state.currency,
        paidToSeller: settlement.paidToSeller,
        platformFee: settlement.platformFee,
        refundedToBuyer: settlement.refundedToBuyer,
      });
    }
    return draft;
  });
}

/** EscalateToOps: a task failed for good; mark the escrow so ops see it and can settle it with a resolution. */
export function escalateToOps(
  deps: ServiceDeps,
  ref: EscrowRef & { afterStep: string; error: string; cause: string },
): Promise<WorkflowStep> {
  return transact(deps, ref, (state, record) => {
    if (state.attention) {
      const marked = lastOf(record, ["escalated"]) as Entry;
      return stepAt(record.terms, record.history, marked.v, deps.now());
    }
    // A settled escrow has nothing left for ops to repair; the execution fails and the alarm says so.
    if (isTerminal(state.status))
      throw new Error(`escrow ${state.id} is already ${state.status}: ${ref.error}`);
    const reason = describeFailure(ref.error, ref.cause);
    return escalate(state, `after step ${ref.afterStep}`, reason);
  });
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
  return (message ? `${error}: ${message}` : error).slice(0, 1000);
}
