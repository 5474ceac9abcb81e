import type { EscrowKind, Lease, Windows } from "./types";

/**
 * What a marketplace gives to create an escrow, once the API has checked it
 * (functions/api/schemas.ts holds the create body, typed against this).
 */
export interface CreateEscrowInput {
  buyerId: string;
  sellerId: string;
  amount: number;
  currency: string;
  fee?: number;
  paymentMethod: string;
  kind?: EscrowKind;
  description?: string | null;
  listingRef?: string | null;
  metadata?: Record<string, string>;
  windows?: Windows;
  /** rental_deposit only (required there). */
  lease?: Lease;
  /** vehicle only: the reservation deposit (required there), whether withdrawing forfeits it, the car. */
  deposit?: number;
  depositForfeitable?: boolean;
  vehicle?: { vin: string; description?: string };
}
