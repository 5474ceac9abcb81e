import type { KindInput } from "./kinds/names";
import type { EscrowKind, Windows } from "./types";

/**
 * What a marketplace gives to create an escrow, once the API has checked it
 * (functions/api/create-body.ts holds the create body, typed against this): the
 * common fields and every kind's own (its module's types.ts).
 */
export type CreateEscrowInput = CommonInput & KindInput;

interface CommonInput {
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
}
