/**
 * The payment provider that holds the buyer's money and later moves it.
 * Adapters throw these two named errors; their names are what the workflow's
 * Retry and Catch match on (a Lambda error's type is its `name`).
 */
export class PaymentDeclined extends Error {
  constructor(message = "The payment method was declined.") {
    super(message);
    this.name = "PaymentDeclined";
  }
}

export class PaymentUnavailable extends Error {
  constructor(message = "The payment provider is unavailable.") {
    super(message);
    this.name = "PaymentUnavailable";
  }
}

export interface HoldRequest {
  tenantId: string;
  escrowId: string;
  paymentMethod: string;
  amount: number;
  currency: string;
}

export interface SettleRequest {
  tenantId: string;
  escrowId: string;
  holdReference: string | null;
  currency: string;
  paidToSeller: number;
  platformFee: number;
  refundedToBuyer: number;
}

export interface PaymentProvider {
  /** Whether the provider accepts this payment method at all (checked at creation, answered with 400). */
  acceptsPaymentMethod(paymentMethod: string): boolean;
  /** Idempotent per escrow: a retried hold returns the same reference. */
  hold(request: HoldRequest): Promise<{ reference: string }>;
  /** Captures, pays out and voids as the settlement says; idempotent per escrow. */
  settle(request: SettleRequest): Promise<void>;
}
