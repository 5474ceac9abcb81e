import { DAY } from "../../durations";
import { heldOf } from "../../money";
import { pending } from "../../outcomes";
import type { EscrowState, Pending, PendingAction } from "../../types";

/** The rental deposit's rules of its lease and its claim (API.md v1.1). */

/** How far ahead a lease may end, on creation and on renewal. */
export const MAX_LEASE_SECONDS = 5 * 365 * DAY + DAY; // five years, leap days included

/** A lease's end: after now, and at most five years from now (on creation and on renewal). */
export function leaseEndErrors(endsAt: string, now: Date, path: string): { path: string; message: string }[] {
  const end = Date.parse(endsAt);
  if (end <= now.getTime()) return [{ path, message: "must be in the future" }];
  if (end > now.getTime() + MAX_LEASE_SECONDS * 1000)
    return [{ path, message: "must be at most 5 years from now" }];
  return [];
}

/** A claim accepted (or left unanswered): the landlord gets the claim, the renter the rest. */
export function acceptedClaim(state: EscrowState, action: PendingAction): Pending {
  const total = state.claim?.total ?? 0;
  const held = heldOf(state);
  if (total >= held) return pending(action, "release", 0);
  return pending(action, "split", held - total);
}

/**
 * A claim rejected: what is not claimed goes back to the renter and what the
 * renter accepts goes to the landlord at once; the contested rest stays held.
 * Null when nothing is undisputed.
 */
export function undisputedPart(state: EscrowState, acceptedAmount: number): Pending | null {
  const refund = heldOf(state) - (state.claim?.total ?? 0);
  if (refund === 0 && acceptedAmount === 0) return null;
  return {
    action: "claim-response",
    outcome: "split",
    refundAmount: refund,
    partial: { release: acceptedAmount },
  };
}
