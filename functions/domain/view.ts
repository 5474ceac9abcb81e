import type { Entry } from "./entries";
import { acceptedAction, kindOf } from "./kinds/registry";
import { heldOf } from "./money";
import type { EscrowState, EscrowView } from "./types";

export function toView(s: EscrowState): EscrowView {
  return {
    id: s.id,
    kind: s.kind,
    status: s.status,
    buyerId: s.buyerId,
    sellerId: s.sellerId,
    amount: s.amount,
    currency: s.currency,
    fee: s.fee,
    description: s.description,
    listingRef: s.listingRef,
    metadata: s.metadata,
    windows: s.windows,
    deadline: s.deadline,
    pendingAction: acceptedAction(s),
    delivery: s.delivery,
    refundRequest: s.refundRequest,
    dispute: s.dispute,
    ...kindOf(s).view(s),
    funded: s.funded,
    held: heldOf(s),
    disbursements: s.disbursements,
    settlement: s.settlement,
    failureReason: s.failureReason,
    needsOpsAttention: s.attention !== null,
    attentionReason: s.attention?.reason ?? null,
    resolution: s.resolution,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    version: s.version,
  };
}

/**
 * An entry as the history route shows it: the facts it recorded plus what
 * followed from them (the deadline it set, the outcome it made pending, the
 * settlement and the ledger postings), read off the escrow before and after it.
 */
export function describeEntry(
  before: EscrowState,
  after: EscrowState,
  entry: Entry,
): Record<string, unknown> {
  const data: Record<string, unknown> = { ...entry.data };
  if (entry.type === "created")
    Object.assign(data, { amount: after.amount, currency: after.currency, fee: after.fee });
  if (after.deadline !== before.deadline && after.deadline !== null) data.deadline = after.deadline;
  if (after.pending && after.pending !== before.pending)
    Object.assign(data, {
      outcome: after.pending.outcome,
      ...(after.pending.outcome === "split" ? { refundAmount: after.pending.refundAmount } : {}),
    });
  if (after.settlement && !before.settlement) data.settlement = after.settlement;
  const postings = after.ledger.slice(before.ledger.length);
  if (postings.length > 0) data.postings = postings;
  return data;
}
