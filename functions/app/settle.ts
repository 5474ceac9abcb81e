import {
  beginSettling,
  type Entry,
  fold,
  movementFor,
  settleEscrow,
  unrecordedHolds,
} from "../domain/escrow";
import type { EscrowState } from "../domain/types";
import { routeOf, stepAt, supersededStep, type WorkflowStep } from "../domain/workflow-step";
import type { EventPublisher } from "../ports/events";
import type { PaymentProvider } from "../ports/payment-provider";
import { announceSteps } from "./announce";
import { type EscrowRef, load, type StoreDeps, transact } from "./transact";

/**
 * Movement keys (ARCHITECTURE.md v1.2 decision 4): each derived from what it
 * moves — the escrow, the hold or the settlement intent (the version of its
 * `settling` entry) and the movement — never from an attempt, so a repeat is
 * the same call (a no-op at the provider) and a new intent never reuses a key.
 */
export const movementKeys = {
  hold: (escrowId: string) => `${escrowId}:hold`,
  void: (escrowId: string) => `${escrowId}:void`,
  /** A car's second hold, after its reservation deposit. */
  balance: (escrowId: string) => `${escrowId}:hold:balance`,
  voidBalance: (escrowId: string) => `${escrowId}:void:balance`,
  transfer: (escrowId: string, type: "payout" | "fee" | "refund", settlingVersion: number) =>
    `${escrowId}:s${settlingVersion}:${type}`,
};

/** Lets go of a hold the record never counted (`hold`: the first; `balance`: a car's second), if it was taken. */
export const voidHold = (
  deps: { payments: PaymentProvider },
  state: EscrowState,
  which: "hold" | "balance",
) =>
  deps.payments.void({
    tenantId: state.tenantId,
    escrowId: state.id,
    key: which === "hold" ? movementKeys.void(state.id) : movementKeys.voidBalance(state.id),
    holdKey: which === "hold" ? movementKeys.hold(state.id) : movementKeys.balance(state.id),
    currency: state.currency,
  });

/** The entries a settlement writes. */
const SETTLED_BY = [
  "released",
  "refunded",
  "settled",
  "cancelled",
  "payment_failed",
  "partially_settled",
] as const;

type TaskRef = EscrowRef & { execution?: string };

/**
 * ReleaseToSeller / RefundBuyer / SplitSettlement / PayUndisputedPart: moves
 * the money the record's pending outcome decided, exactly once. The `settling`
 * entry is written before the provider is called (from then on the outcome
 * can only be repeated, and its movements carry keys named after it); a hold
 * the provider may have taken unseen (a car's balance) is let go; then the
 * outcome is recorded, and a terminal one announced with every step the
 * workflow had not announced yet.
 */
export async function settle(
  deps: StoreDeps & { payments: PaymentProvider; events: EventPublisher },
  ref: TaskRef,
): Promise<WorkflowStep> {
  const superseded = (record: { marks?: { execution: string | null } }) =>
    ref.execution !== undefined && ref.execution !== (record.marks?.execution ?? ref.escrowId);
  for (let round = 0; ; round++) {
    const intent = await transact<EscrowState | "superseded">(deps, ref, (state, record) => {
      if (superseded(record)) return { done: "superseded" };
      if (!state.pending || state.settling || state.status === "PENDING_FUNDS") return { done: state };
      return { append: beginSettling(state) };
    });
    if ("done" in intent && intent.done === "superseded") return supersede(deps, ref);
    const result = await transact<Entry | "again" | "superseded">(deps, ref, async (state, record, now) => {
      if (superseded(record)) return { done: "superseded" };
      if (!state.pending) {
        // A retry, or a continuation: the movement was recorded by an earlier run.
        const done = [...record.history]
          .reverse()
          .find((e) => (SETTLED_BY as readonly string[]).includes(e.type));
        if (done) return { done };
        throw new Error(`escrow ${state.id} has nothing pending to settle in ${state.status}`);
      }
      // Decided anew since the intent was read (ops, after a refused payout): record the new intent first.
      if (!state.settling && state.status !== "PENDING_FUNDS") return { done: "again" };
      const draft = settleEscrow(state);
      for (const hold of unrecordedHolds(state)) await voidHold(deps, state, hold);
      if (draft.type !== "cancelled") await moveMoney(deps, state, now);
      return { append: draft };
    });
    if ("done" in result && result.done === "superseded") return supersede(deps, ref);
    if ("done" in result && result.done === "again") {
      if (round < 3) continue;
      throw new Error(`escrow ${ref.escrowId}: its pending outcome keeps changing`);
    }
    const [record, version] =
      "done" in result ? [await load(deps, ref), (result.done as Entry).v] : [result.record, result.entry.v];
    const step = stepAt(record.terms, record.history, version, deps.now());
    // A terminal outcome is announced here, with every step not announced before it (a rejected
    // inspection's escrow.inspected); a first step (the undisputed part) by the wait that follows.
    if (fold(record.terms, record.history, version).settlement !== null || step.outcome === "cancelled") {
      const wait = await deps.store.waits.get(ref.tenantId, ref.escrowId);
      await announceSteps(deps, ref, record, wait?.published ?? 0, version);
    }
    return routeOf(step);
  }
}

async function supersede(deps: StoreDeps, ref: EscrowRef): Promise<WorkflowStep> {
  const record = await load(deps, ref);
  return supersededStep(record.history[record.history.length - 1]?.v ?? 1);
}

async function moveMoney(deps: { payments: PaymentProvider }, state: EscrowState, now: Date): Promise<void> {
  const s = movementFor(state, now.toISOString());
  if (!s || !state.settling) return;
  const intent = state.settling.version;
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
        key: movementKeys.transfer(state.id, type, intent),
      });
}
