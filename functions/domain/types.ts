/** Statuses of API.md's table. */
export const STATUSES = [
  "PENDING_FUNDS",
  "FUNDED",
  "DELIVERED",
  "REFUND_REQUESTED",
  "DISPUTED",
  "RELEASED",
  "REFUNDED",
  "SETTLED",
  "CANCELLED",
] as const;
export type EscrowStatus = (typeof STATUSES)[number];

export const TERMINAL_STATUSES: readonly EscrowStatus[] = ["RELEASED", "REFUNDED", "SETTLED", "CANCELLED"];
export const isTerminal = (status: EscrowStatus): boolean => TERMINAL_STATUSES.includes(status);

export const KINDS = ["goods", "service"] as const;
export type EscrowKind = (typeof KINDS)[number];

export interface Windows {
  deliverySeconds: number;
  confirmationSeconds: number;
  sellerResponseSeconds: number;
  disputeSeconds: number;
}

/** How money leaves the escrow once the workflow settles it. */
export type SettlementOutcome = "release" | "refund" | "split";

export interface Settlement {
  paidToSeller: number;
  refundedToBuyer: number;
  platformFee: number;
  settledAt: string;
}

/** Who did something: a party of the escrow, the marketplace's backend, its ops staff or the service itself. */
export type ActorRole = "buyer" | "seller" | "marketplace" | "ops" | "system";

/** The pending (accepted, not yet applied) money movement. */
export interface Pending {
  action: PendingAction;
  outcome: SettlementOutcome;
  /** Set for `split` (and `refund`, where it equals the amount). */
  refundAmount: number;
  /** Ops are told when the workflow applies it (dispute window elapsed). */
  alertOps?: boolean;
}

export type PendingAction =
  | "confirmation"
  | "cancellation"
  | "refund-response"
  | "resolution"
  | "auto-release"
  | "auto-refund"
  | "auto-refund-acceptance";

/** Why an escrow needs ops: what no retry can decide. */
export type AttentionReason = "payout_rejected" | "unexpected_step" | "workflow_failing";

export interface Attention {
  reason: AttentionReason;
  detail: string;
  at: string;
}

/** The immutable facts given at creation. */
export interface EscrowTerms {
  tenantId: string;
  id: string;
  kind: EscrowKind;
  buyerId: string;
  sellerId: string;
  amount: number;
  currency: string;
  fee: number;
  paymentMethod: string;
  description: string | null;
  listingRef: string | null;
  metadata: Record<string, string>;
  windows: Windows;
  createdAt: string;
}

export type LedgerAccount = "buyer" | "escrow" | "seller" | "platform_fee";

export type Posting =
  | { kind: "pending"; id: string; debit: LedgerAccount; credit: LedgerAccount; amount: number }
  | { kind: "post_pending"; id: string; amount: number }
  | { kind: "void_pending"; id: string; amount: number }
  | { kind: "transfer"; debit: LedgerAccount; credit: LedgerAccount; amount: number };

/** Everything the service knows about an escrow at one version. */
export interface EscrowState extends EscrowTerms {
  status: EscrowStatus;
  deadline: string | null;
  delivery: {
    carrier: string | null;
    trackingNumber: string | null;
    note: string | null;
    deliveredAt: string;
  } | null;
  refundRequest: { amount: number; reason: string; requestedAt: string } | null;
  dispute: { openedBy: ActorRole; reason: string; openedAt: string } | null;
  settlement: Settlement | null;
  failureReason: string | null;
  pending: Pending | null;
  attention: Attention | null;
  /**
   * Set from the moment the provider may have been told to move the pending
   * outcome's money (the `settling` entry) until the outcome is recorded: that
   * outcome can then only be repeated, never replaced.
   */
  settling: { attempt: number } | null;
  /** How many settlement attempts were made (each has its own movement keys). */
  settleAttempts: number;
  paymentRef: string | null;
  extensions: { count: number; totalSeconds: number };
  ledger: Posting[];
  updatedAt: string;
  version: number;
}

/** The resource of API.md. */
export interface EscrowView {
  id: string;
  kind: EscrowKind;
  status: EscrowStatus;
  buyerId: string;
  sellerId: string;
  amount: number;
  currency: string;
  fee: number;
  description: string | null;
  listingRef: string | null;
  metadata: Record<string, string>;
  windows: Windows;
  deadline: string | null;
  pendingAction: PendingAction | null;
  delivery: EscrowState["delivery"];
  refundRequest: EscrowState["refundRequest"];
  dispute: EscrowState["dispute"];
  settlement: Settlement | null;
  failureReason: string | null;
  needsOpsAttention: boolean;
  attentionReason: AttentionReason | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}
