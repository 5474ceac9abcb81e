/**
 * The rental deposit's own names (API.md v1.1, kind `rental_deposit`). The
 * domain's enumerations (statuses, events, windows, pending actions, steps)
 * are the common ones and every kind's own, composed in ../names.ts; this
 * file imports nothing, so they are there before any module reads them.
 */
export const RENTAL_DEPOSIT_NAMES = {
  /** The renter moved out (the landlord may claim); the landlord claimed deductions (the renter answers). */
  statuses: ["MOVED_OUT", "CLAIMED"],
  events: ["escrow.moved_out", "escrow.lease_renewed", "escrow.deductions_claimed"],
  /** Its create body's `windows` keys, and the windows' names in history and reminders. */
  windows: ["claimSeconds", "claimResponseSeconds"],
  windowNames: ["lease", "claim", "claim_response"],
  pendingActions: ["deposit-return", "claim-response", "auto-claim-acceptance"],
  /** What a reminder says happens when no one acts: the claim is accepted; the lease ends (the renter has moved out). */
  ifSilent: ["accept_claim", "move_out"],
  deliveryFields: [],
  /** Its workflow steps: the lease wait, the claim window, the renter's answer. */
  steps: ["lease_funded", "moved_out", "lease_renewed", "deductions_claimed"],
} as const;

export type RentalDepositStep = (typeof RENTAL_DEPOSIT_NAMES.steps)[number];
