import type { EscrowState } from "./types";
import { addSeconds } from "./windows";

/**
 * How long the workflow may take to act on its own before the reconciler
 * looks: a hold, a settlement or a signal normally completes within seconds.
 */
export const RECONCILE_GRACE_SECONDS = 60;

/**
 * When the reconciler should look at an escrow if the workflow has not moved
 * it on by then, as far as the escrow item knows: while the hold is being
 * taken, and while an accepted outcome is being carried out. A waiting escrow
 * needs no mark (its own execution's timer ends the wait; a failed execution
 * is found by its status); a parked wait and an owed event are marked on the
 * wait item. Null: nothing is expected soon.
 */
export function dueOf(state: EscrowState): string | null {
  if (state.status === "PENDING_FUNDS" && !state.attention)
    return addSeconds(state.createdAt, RECONCILE_GRACE_SECONDS);
  if (state.pending && !state.attention) return addSeconds(state.updatedAt, RECONCILE_GRACE_SECONDS);
  return null;
}
