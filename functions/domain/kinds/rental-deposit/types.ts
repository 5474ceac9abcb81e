import type { Attachment } from "../../types";

/**
 * What a rental deposit adds to an escrow (API.md v1.1): its create input,
 * its terms, the state they grow into, and which of it the resource shows.
 * The escrow's types are the common ones and every kind's own, composed in
 * ../names.ts.
 */

/** A rental deposit's lease: the deposit is held until it ends (or the renter moves out). */
export interface Lease {
  startsAt: string;
  endsAt: string;
}

export const CLAIM_CATEGORIES = ["cleaning", "damage", "unpaid_rent", "utilities", "other"] as const;
export type ClaimCategory = (typeof CLAIM_CATEGORIES)[number];

export interface ClaimItem {
  category: ClaimCategory;
  amount: number;
  description: string;
  evidence?: Attachment[];
}

/** The create body's own field (required for this kind). */
export interface RentalDepositInput {
  lease?: Lease;
}

/** Its terms: the lease as agreed at creation (null on an escrow of another kind). */
export interface RentalDepositTerms {
  lease: Lease | null;
}

/** Its state: the lease as it stands (renewals move its end) and when the renter moved out; the landlord's claim. */
export interface RentalDepositState {
  lease: (Lease & { movedOutAt: string | null }) | null;
  claim: { items: ClaimItem[]; total: number; claimedAt: string; acceptedAmount: number | null } | null;
}

/** Its fields of the resource (its module's `view`). */
export type RentalDepositShown = "lease" | "claim";

export const NO_RENTAL_DEPOSIT_TERMS: RentalDepositTerms = { lease: null };
export const NO_RENTAL_DEPOSIT_STATE: RentalDepositState = { lease: null, claim: null };
