import { heldOf, sumOf } from "./money";
import type { EscrowState, LedgerAccount, Posting, Settlement } from "./types";
import { isTerminal } from "./types";

/**
 * Each escrow keeps its own small double-entry ledger. The hold is a pending
 * transfer buyer → escrow; a release posts it and pays the seller and the
 * platform-fee account out of escrow; a refund voids it; a split posts the
 * seller's share and voids the buyer's.
 */
export const HOLD_ID = "hold";

export const holdPostings = (amount: number): Posting[] => [
  { kind: "pending", id: HOLD_ID, debit: "buyer", credit: "escrow", amount },
];

/** The postings of money leaving the escrow: a whole settlement, or one step of it. */
export function settlementPostings(
  settlement: Pick<Settlement, "paidToSeller" | "refundedToBuyer" | "platformFee">,
): Posting[] {
  const postings: Posting[] = [];
  const posted = settlement.paidToSeller + settlement.platformFee;
  if (posted > 0) postings.push({ kind: "post_pending", id: HOLD_ID, amount: posted });
  if (settlement.refundedToBuyer > 0)
    postings.push({ kind: "void_pending", id: HOLD_ID, amount: settlement.refundedToBuyer });
  if (settlement.paidToSeller > 0)
    postings.push({ kind: "transfer", debit: "escrow", credit: "seller", amount: settlement.paidToSeller });
  if (settlement.platformFee > 0)
    postings.push({
      kind: "transfer",
      debit: "escrow",
      credit: "platform_fee",
      amount: settlement.platformFee,
    });
  return postings;
}

export interface Balances {
  /** Posted balance per account: credits minus debits. */
  posted: Record<LedgerAccount, number>;
  /** Amount still pending (held, neither posted nor voided). */
  pending: number;
}

export function balances(ledger: readonly Posting[]): Balances {
  const posted: Record<LedgerAccount, number> = { buyer: 0, escrow: 0, seller: 0, platform_fee: 0 };
  const holds = new Map<string, { debit: LedgerAccount; credit: LedgerAccount; open: number }>();
  for (const p of ledger) {
    switch (p.kind) {
      case "pending": {
        // A second hold on the same account pair (a car's balance after its deposit) adds to it.
        const hold = holds.get(p.id);
        if (hold) hold.open += p.amount;
        else holds.set(p.id, { debit: p.debit, credit: p.credit, open: p.amount });
        break;
      }
      case "post_pending": {
        const hold = holds.get(p.id);
        if (!hold) throw new Error(`posting of unknown hold ${p.id}`);
        hold.open -= p.amount;
        posted[hold.debit] -= p.amount;
        posted[hold.credit] += p.amount;
        break;
      }
      case "void_pending": {
        const hold = holds.get(p.id);
        if (!hold) throw new Error(`void of unknown hold ${p.id}`);
        hold.open -= p.amount;
        break;
      }
      case "transfer":
        posted[p.debit] -= p.amount;
        posted[p.credit] += p.amount;
        break;
    }
  }
  let pending = 0;
  for (const hold of holds.values()) pending += hold.open;
  return { posted, pending };
}

/**
 * Every rule the money must keep, as a list of broken rules (empty = sound).
 * Used by the property tests and, defensively, before a settlement is written.
 */
export function ledgerViolations(state: EscrowState): string[] {
  const v: string[] = [];
  for (const p of state.ledger) {
    if (!Number.isSafeInteger(p.amount) || p.amount <= 0)
      v.push(`posting amount ${p.amount} is not a positive integer`);
  }
  let b: Balances;
  try {
    b = balances(state.ledger);
  } catch (error) {
    return [...v, (error as Error).message];
  }
  const total = Object.values(b.posted).reduce((sum, x) => sum + x, 0);
  if (total !== 0) v.push(`posted balances sum to ${total}, not 0`);
  if (b.pending < 0) v.push(`more posted or voided than was held (${b.pending})`);
  const held = state.ledger.filter((p) => p.kind === "pending").reduce((s, p) => s + p.amount, 0);
  const mustHold = state.status !== "PENDING_FUNDS" && state.status !== "CANCELLED";
  if (mustHold && held !== state.funded) v.push(`holds total ${held}, the escrow was funded ${state.funded}`);
  if (state.funded > state.amount) v.push(`funded ${state.funded} is more than the amount ${state.amount}`);
  if (!mustHold && state.ledger.length > 0)
    v.push(`postings on an escrow that never held money (${state.status})`);

  if (isTerminal(state.status)) {
    if (b.pending !== 0) v.push(`${b.pending} still held in a terminal status`);
    if (b.posted.escrow !== 0) v.push(`escrow account holds ${b.posted.escrow} in a terminal status`);
    const s = state.settlement;
    if (state.status === "CANCELLED") {
      if (s !== null) v.push("a cancelled escrow has a settlement");
      if (b.posted.seller !== 0 || b.posted.platform_fee !== 0) v.push("money moved on a cancelled escrow");
    } else if (!s) {
      v.push(`${state.status} without a settlement`);
    } else {
      if (s.paidToSeller + s.refundedToBuyer + s.platformFee !== state.funded)
        v.push(
          `settlement sums to ${s.paidToSeller + s.refundedToBuyer + s.platformFee}, not ${state.funded}`,
        );
      if (b.posted.seller !== s.paidToSeller)
        v.push(`seller got ${b.posted.seller}, settlement says ${s.paidToSeller}`);
      if (b.posted.platform_fee !== s.platformFee)
        v.push(`platform got ${b.posted.platform_fee}, settlement says ${s.platformFee}`);
      if (-b.posted.buyer !== state.funded - s.refundedToBuyer)
        v.push(`buyer paid ${-b.posted.buyer}, expected ${state.funded - s.refundedToBuyer}`);
      if (s.platformFee > state.fee)
        v.push(`platform fee ${s.platformFee} exceeds the agreed fee ${state.fee}`);
      const expected =
        state.status === "RELEASED"
          ? s.refundedToBuyer === 0
          : state.status === "REFUNDED"
            ? s.refundedToBuyer === state.funded
            : s.refundedToBuyer > 0 && s.refundedToBuyer < state.funded;
      if (!expected) v.push(`settlement does not match status ${state.status}`);
    }
  } else {
    if (state.settlement !== null) v.push(`settlement set in ${state.status}`);
    // Before the end, only what has already left in steps is posted.
    const out = sumOf(state.disbursements, state.updatedAt);
    if (b.posted.seller !== out.paidToSeller || b.posted.platform_fee !== out.platformFee)
      v.push(`money posted beyond the disbursements in ${state.status}`);
    if (-b.posted.buyer !== out.paidToSeller + out.platformFee)
      v.push(`buyer posted ${-b.posted.buyer} beyond the disbursements in ${state.status}`);
    if (b.pending !== heldOf(state)) v.push(`ledger holds ${b.pending}, the escrow says ${heldOf(state)}`);
  }
  // The fee, over the whole escrow: floor(fee × seller's gross so far / amount), whatever the steps.
  const out = sumOf(state.disbursements, state.updatedAt);
  const gross = out.paidToSeller + out.platformFee;
  if (
    state.amount > 0 &&
    out.platformFee !== Number((BigInt(state.fee) * BigInt(gross)) / BigInt(state.amount))
  )
    v.push(`platform fee ${out.platformFee} is not the pro-rata fee of ${gross}`);
  return v;
}
