import type { Entry, EntryType } from "../../../functions/domain/escrow";
import { type EscrowKind, type EscrowStatus, STATUSES } from "../../../functions/domain/types";

/**
 * Which history entries may follow which, by kind — written from API.md's
 * status tables, not from the decider — and an independent tracker of each
 * escrow's status, pending outcome and attention, so that a transition the
 * decider wrongly allows (or a fold that lands in another status) is seen.
 */

type S = EscrowStatus;
const GOODS_LIKE: EscrowKind[] = ["goods", "service", "vehicle"];
export const TERMINAL: S[] = ["RELEASED", "REFUNDED", "SETTLED", "CANCELLED"];
/** Every other status of API.md's table, in its order; the waits are those after the hold. */
const OPEN: S[] = STATUSES.filter((s) => !TERMINAL.includes(s));
const WAITING: S[] = OPEN.filter((s) => s !== "PENDING_FUNDS");

/** What a settlement may look like once it is pending: the direction of the money. */
export type Direction = "release" | "refund" | "split";

interface Rule {
  from: S[];
  kinds?: EscrowKind[];
  /** The status after; "same" keeps it. */
  to: S | "same";
  /** Who takes the action (API.md's "who"). */
  actor?: ("buyer" | "seller" | "ops" | "system")[];
  /** A party's action: not while an accepted one is pending. */
  idle?: boolean;
  needsPending?: boolean;
}

const RULES: Record<Exclude<EntryType, "created">, Rule> = {
  funded: { from: ["PENDING_FUNDS", "RESERVED"], to: "FUNDED", actor: ["system"] },
  reserved: { from: ["PENDING_FUNDS"], kinds: ["vehicle"], to: "RESERVED", actor: ["system"] },
  payment_failed: { from: ["PENDING_FUNDS"], to: "CANCELLED", actor: ["system"] },
  cancelled: { from: ["PENDING_FUNDS"], to: "CANCELLED", actor: ["system"], needsPending: true },
  delivered: { from: ["FUNDED"], kinds: GOODS_LIKE, to: "DELIVERED", actor: ["seller"], idle: true },
  extended: { from: ["DELIVERED"], kinds: GOODS_LIKE, to: "same", actor: ["buyer"], idle: true },
  refund_requested: {
    from: ["DELIVERED"],
    kinds: GOODS_LIKE,
    to: "REFUND_REQUESTED",
    actor: ["buyer"],
    idle: true,
  },
  refund_accepted: {
    from: ["REFUND_REQUESTED"],
    kinds: GOODS_LIKE,
    to: "same",
    actor: ["seller"],
    idle: true,
  },
  refund_rejected: {
    from: ["REFUND_REQUESTED"],
    kinds: GOODS_LIKE,
    to: "DISPUTED",
    actor: ["seller"],
    idle: true,
  },
  disputed: {
    from: ["RESERVED", "FUNDED", "DELIVERED", "REFUND_REQUESTED"],
    kinds: GOODS_LIKE,
    to: "DISPUTED",
    actor: ["buyer", "seller"],
    idle: true,
  },
  confirmed: { from: ["DELIVERED"], kinds: GOODS_LIKE, to: "same", actor: ["buyer"], idle: true },
  cancellation_requested: {
    from: ["RESERVED", "FUNDED"],
    to: "same",
    actor: ["buyer", "seller"],
    idle: true,
  },
  resolution_accepted: { from: ["DISPUTED"], to: "same", actor: ["ops"], idle: true },
  window_elapsed: { from: WAITING, to: "same", actor: ["system"], idle: true },
  evidence_requested: { from: ["DISPUTED"], to: "same", actor: ["ops"], idle: true },
  escalated: { from: OPEN, to: "same", actor: ["system"] },
  /** Ops dealt with what needed them (checked below: only an escrow that needs ops). */
  resumed: { from: OPEN, to: "same", actor: ["ops"] },
  settling: { from: OPEN, to: "same", actor: ["system"], needsPending: true },
  moved_out: {
    from: ["FUNDED"],
    kinds: ["rental_deposit"],
    to: "MOVED_OUT",
    actor: ["buyer", "seller"],
    idle: true,
  },
  lease_renewed: { from: ["FUNDED"], kinds: ["rental_deposit"], to: "same", actor: ["buyer"], idle: true },
  deductions_claimed: {
    from: ["MOVED_OUT"],
    kinds: ["rental_deposit"],
    to: "CLAIMED",
    actor: ["seller"],
    idle: true,
  },
  deposit_returned: {
    from: ["MOVED_OUT"],
    kinds: ["rental_deposit"],
    to: "same",
    actor: ["seller"],
    idle: true,
  },
  claim_accepted: { from: ["CLAIMED"], kinds: ["rental_deposit"], to: "same", actor: ["buyer"], idle: true },
  claim_rejected: {
    from: ["CLAIMED"],
    kinds: ["rental_deposit"],
    to: "DISPUTED",
    actor: ["buyer"],
    idle: true,
  },
  partially_settled: {
    from: ["DISPUTED"],
    kinds: ["rental_deposit"],
    to: "same",
    actor: ["system"],
    needsPending: true,
  },
  inspected: { from: ["RESERVED"], kinds: ["vehicle"], to: "same", actor: ["buyer"], idle: true },
  balance_declined: { from: ["RESERVED"], kinds: ["vehicle"], to: "same", actor: ["system"] },
  released: { from: OPEN, to: "RELEASED", actor: ["system"], needsPending: true },
  refunded: { from: OPEN, to: "REFUNDED", actor: ["system"], needsPending: true },
  settled: { from: OPEN, to: "SETTLED", actor: ["system"], needsPending: true },
};

/** The escrow as the rules see it, entry by entry. */
export interface Tracked {
  kind: EscrowKind;
  status: S;
  pending: Direction[] | null;
  /** A car's balance is to be held (an accepted inspection). */
  balanceDue: boolean;
  attention: string | null;
  version: number;
  amount: number;
  claimTotal: number;
}

export const startTracking = (kind: EscrowKind, amount: number): Tracked => ({
  kind,
  amount,
  claimTotal: 0,
  status: "PENDING_FUNDS",
  pending: null,
  balanceDue: false,
  attention: null,
  version: 1,
});

/** The directions an entry's accepted outcome may take (API.md's "ends by"). */
function directionsOf(entry: Entry, t: Tracked, forfeitable: boolean): Direction[] | null {
  switch (entry.type) {
    case "confirmed":
      return ["release"];
    case "refund_accepted":
      return ["refund", "split"];
    case "resolution_accepted":
      return [entry.data.outcome];
    case "cancellation_requested":
      return t.status === "RESERVED" && entry.actor === "buyer" && forfeitable ? ["release"] : ["refund"];
    case "deposit_returned":
    case "balance_declined":
      return ["refund"];
    case "claim_accepted":
      return ["release", "split"];
    case "inspected":
      return entry.data.accepted ? null : ["refund"];
    case "window_elapsed": {
      const w = entry.data.window;
      if (w === "lease") return null;
      if (w === "confirmation") return ["release"];
      if (w === "seller_response") return ["refund", "split"];
      if (w === "claim_response") return ["release", "split"];
      if (w === "inspection") return forfeitable ? ["release"] : ["refund"];
      return ["refund"];
    }
    default:
      return null;
  }
}

/** Applies `entry`; returns why it is not a legal transition, or null. */
export function track(t: Tracked, entry: Entry, forfeitable: boolean): string | null {
  if (entry.v !== t.version + 1) return `version ${entry.v} follows ${t.version}`;
  t.version = entry.v;
  if (entry.type === "created") return "a second creation";
  if (TERMINAL.includes(t.status)) return `${entry.type} after the terminal ${t.status}`;
  const rule = RULES[entry.type];
  const repair = entry.type === "resolution_accepted" && t.attention !== null;
  if (!repair && !rule.from.includes(t.status)) return `${entry.type} from ${t.status}`;
  if (rule.kinds && !rule.kinds.includes(t.kind)) return `${entry.type} on a ${t.kind} escrow`;
  if (rule.actor && !rule.actor.includes(entry.actor as never)) return `${entry.type} by ${entry.actor}`;
  if (!repair && rule.idle && (t.pending || t.balanceDue))
    return `${entry.type} while an accepted outcome is pending`;
  if (rule.needsPending && !t.pending) return `${entry.type} with nothing pending`;
  if (entry.type === "funded" && t.status === "RESERVED" && !t.balanceDue)
    return "funded with no balance due";
  if (entry.type === "balance_declined" && !t.balanceDue) return "balance_declined with no balance due";
  const before = t.status;
  if (entry.type === "window_elapsed" && entry.data.window === "lease") t.status = "MOVED_OUT";
  else if (rule.to !== "same") t.status = rule.to;
  if (entry.type !== "escalated") t.attention = null;
  if (entry.type === "escalated") t.attention = entry.data.reason;
  if (entry.type === "inspected" && entry.data.accepted) t.balanceDue = true;
  if (entry.type === "funded" || entry.type === "balance_declined") t.balanceDue = false;
  const directions = directionsOf(entry, { ...t, status: before }, forfeitable);
  if (directions) t.pending = directions;
  if (entry.type === "deductions_claimed") t.claimTotal = entry.data.items.reduce((n, i) => n + i.amount, 0);
  // A rejected claim moves its undisputed part at once, when there is one (the rest waits for ops).
  if (entry.type === "claim_rejected" && (t.amount > t.claimTotal || entry.data.acceptedAmount > 0))
    t.pending = ["split"];
  if (
    ["released", "refunded", "settled", "partially_settled", "payment_failed", "cancelled"].includes(
      entry.type,
    )
  )
    t.pending = null;
  return null;
}

/** Whether a final disbursement went the way the pending outcome said. */
export function sameDirection(pending: Direction[], refunded: number, toSeller: number): boolean {
  const direction: Direction = refunded === 0 ? "release" : toSeller === 0 ? "refund" : "split";
  return pending.includes(direction);
}
