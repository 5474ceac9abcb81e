import type { EscrowState } from "./types";
import { addSeconds, DAY } from "./windows";

/**
 * How long the workflow may take to act on its own before the reconciler
 * looks: a hold, a settlement or a signal normally completes within seconds.
 */
export const RECONCILE_GRACE_SECONDS = 60;

/**
 * A creation no answer confirmed (its write's outcome was unknown, the API
 * answered 503, and the key was never retried) is let go after the
 * idempotency window: until then a retry with its key starts it, after it the
 * reconciler cancels it. Nothing is held for it meanwhile: the API starts a
 * new escrow's workflow only once it knows the escrow exists.
 */
export const UNCONFIRMED_CREATION_SECONDS = DAY + RECONCILE_GRACE_SECONDS;

/**
 * When the reconciler should look at an escrow if the workflow has not moved
 * it on by then, as far as the escrow item knows: while an accepted outcome
 * is being carried out, and when a creation was never confirmed. A waiting escrow
 * needs no mark (its own execution's timer ends the wait; a failed execution
 * is found by its status); a parked wait and an owed event are marked on the
 * wait item. Null: nothing is expected soon.
 */
export function dueOf(state: EscrowState): string | null {
  if (state.pending && !state.attention) return addSeconds(state.updatedAt, RECONCILE_GRACE_SECONDS);
  // A refused start is marked due at once by the API; otherwise the mark is the unconfirmed creation's end.
  if (state.status === "PENDING_FUNDS" && !state.attention)
    return addSeconds(state.createdAt, UNCONFIRMED_CREATION_SECONDS);
  return null;
}
