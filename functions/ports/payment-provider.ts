/**
 * The payment provider that holds the buyer's money and later moves it. Every
 * movement carries a key, unique to that movement of that escrow: a repeat
 * with the key is a no-op at the provider, so a call that may have taken
 * effect is simply repeated. Adapters throw these named errors; their names
 * are what the workflow's Retry and Catch match on (a Lambda error's type is
 * its `name`).
 */
export class PaymentDeclined extends Error {
  constructor(message = "The payment method was declined.") {
    super(message);
    this.name = "PaymentDeclined";
  }
}

/** Transient: the call failed or its answer was lost; repeat it with the same key. */
export class PaymentUnavailable extends Error {
  constructor(message = "The payment provider is unavailable.") {
    super(message);
    this.name = "PaymentUnavailable";
  }
}

/** For good: the provider refused to pay out (e.g. the payee's account is closed); nothing moved. */
export class PayoutRejected extends Error {
  constructor(message = "The payment provider rejected the payout.") {
    super(message);
    this.name = "PayoutRejected";
  }
}

interface MovementOf {
  tenantId: string;
  escrowId: string;
  /** Unique to this movement: a repeat with the key is a no-op. */
  key: string;
  currency: string;
}

export interface HoldRequest extends MovementOf {
  paymentMethod: string;
  amount: number;
}

/** Lets go of a hold (if it was ever taken): the record never counted it. */
export interface VoidRequest extends MovementOf {
  holdKey: string;
}

/** Money out of a hold: to the seller, to the platform, or back to the buyer. */
export interface TransferRequest extends MovementOf {
  type: "payout" | "fee" | "refund";
  amount: number;
  holdReference: string | null;
}

export interface PaymentProvider {
  /** Whether the provider accepts this payment method at all (checked at creation, answered with 400). */
  acceptsPaymentMethod(paymentMethod: string): boolean;
  hold(request: HoldRequest): Promise<{ reference: string }>;
  void(request: VoidRequest): Promise<void>;
  transfer(request: TransferRequest): Promise<void>;
}
