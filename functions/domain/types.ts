import {
  type KindDelivery,
  type KindNames,
  type KindShown,
  type KindState,
  type KindTerms,
  kindNames,
} from "./kinds/names";
import type { EscrowKind } from "./kinds/registry";

/** The statuses every kind may be in before it ends (API.md's table). */
const COMMON_OPEN_STATUSES = [
  "PENDING_FUNDS",
  "FUNDED",
  "DELIVERED",
  "REFUND_REQUESTED",
  "DISPUTED",
] as const;

/** The statuses an escrow ends in. */
const TERMINAL = ["RELEASED", "REFUNDED", "SETTLED", "CANCELLED"] as const;

export type EscrowStatus =
  | (typeof COMMON_OPEN_STATUSES)[number]
  | KindNames<"statuses">
  | (typeof TERMINAL)[number];

/** Statuses of API.md's table: the common open ones, each kind's own (its module's names.ts), the terminal ones. */
export const STATUSES = [...COMMON_OPEN_STATUSES, ...kindNames("statuses"), ...TERMINAL] as readonly [
  EscrowStatus,
  ...EscrowStatus[],
];

export const TERMINAL_STATUSES: readonly EscrowStatus[] = TERMINAL;
export const isTerminal = (status: EscrowStatus): boolean => TERMINAL_STATUSES.includes(status);

export type { KindShown, KindState, KindTerms } from "./kinds/names";
/** The kinds are listed by their registry (functions/domain/kinds/registry.ts); their own types, by its names half. */
export type { EscrowKind } from "./kinds/registry";

/** Every window any kind has (the common ones and each kind's own); each kind has its own set (its module's `windows`). */
export type WindowKey =
  | "deliverySeconds"
  | "confirmationSeconds"
  | "sellerResponseSeconds"
  | "disputeSeconds"
  | KindNames<"windows">
  /** Not a wait: how long before each self-ending wait's deadline its reminder goes out (0: none). */
  | "reminderSeconds";
export type Windows = Partial<Record<WindowKey, number>>;

export interface Attachment {
  name: string;
  contentType: string;
  sha256: string;
  uri: string;
}

/** A piece of dispute evidence: a party's statement and references to files the marketplace keeps. */
export interface EvidenceItem {
  id: string;
  by: "buyer" | "seller";
  text: string;
  attachments: Attachment[];
  at: string;
}

/** What ops asked the parties for, and by when. */
export interface EvidenceRequest {
  from: "buyer" | "seller" | "both";
  dueAt: string;
  note: string;
}

/** Why money left the escrow. */
export type DisbursementReason = "settlement" | "undisputed_part" | "deposit_forfeited";

/** Money that left the escrow in one step. */
export interface Disbursement {
  at: string;
  paidToSeller: number;
  refundedToBuyer: number;
  platformFee: number;
  reason: DisbursementReason;
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

/**
 * The ops staff member behind an ops action (API.md v1.2): a signed-in user's
 * `sub` and `username`, or a client-credentials client's id twice.
 */
export interface OpsUser {
  id: string;
  name: string;
}

/** Why ops decided as they did (API.md v1.2, "Decisions"). */
export const REASON_CODES = [
  "not_received",
  "not_as_described",
  "damaged",
  "seller_no_show",
  "buyer_withdrew",
  "agreement",
  "deduction_justified",
  "deduction_unjustified",
  "other",
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/** The ops decision an escrow carries once decided (the latest, after a repaired payout). */
export interface Resolution {
  outcome: SettlementOutcome;
  /** What goes back to the buyer of what was held: 0 for a release, all of it for a refund. */
  refundAmount: number;
  reasonCode: ReasonCode | null;
  note: string;
  decidedBy: OpsUser;
  decidedAt: string;
}

/**
 * The pending (accepted, not yet applied) money movement: of what is held,
 * `refundAmount` goes back to the buyer and the rest to the seller's side —
 * or, for a `partial` movement, only `partial.release` goes to the seller's
 * side and what is left stays held.
 */
export interface Pending {
  action: PendingAction;
  outcome: SettlementOutcome;
  /** Set for `split` (and `refund`, where it equals what is held). */
  refundAmount: number;
  /** Ops are told when the workflow applies it (dispute window elapsed). */
  alertOps?: boolean;
  /** A first step only (a rejected claim's undisputed part): this much to the seller's side; the rest stays held. */
  partial?: { release: number };
  /** Why the money leaves, when not a plain settlement (a forfeited reservation deposit). */
  reason?: DisbursementReason;
}

/** The accepted action the workflow has still to carry out: a common one, or a kind's own (its module's names.ts). */
export const PENDING_ACTIONS = [
  "confirmation",
  "cancellation",
  "refund-response",
  "resolution",
  "auto-release",
  "auto-refund",
  "auto-refund-acceptance",
  ...kindNames("pendingActions"),
] as const;
export type PendingAction = (typeof PENDING_ACTIONS)[number];

/** Why an escrow needs ops: what no retry can decide. */
export type AttentionReason = "payout_rejected" | "unexpected_step" | "workflow_failing";

export interface Attention {
  reason: AttentionReason;
  detail: string;
  at: string;
}

/** The immutable facts given at creation: the common ones, and every kind's own (its module's types.ts). */
export type EscrowTerms = CommonTerms & KindTerms;

/** The facts every kind's escrow has. */
interface CommonTerms {
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

/**
 * Everything the service knows about an escrow at one version: its terms,
 * every kind's own state (a kind's own terms grown, as a lease that was
 * renewed; another kind's are NO_KIND_STATE), and the common state.
 */
export type EscrowState = Omit<EscrowTerms, keyof KindState> & KindState & CommonState;

interface CommonState {
  status: EscrowStatus;
  deadline: string | null;
  /** The delivery: the common fields and the kind's own (a car's title transfer). */
  delivery:
    | ({
        carrier: string | null;
        trackingNumber: string | null;
        note: string | null;
        deliveredAt: string;
        /** Proved by a handover code at a face-to-face meeting. */
        method?: "in_person";
        handedOverAt?: string;
      } & KindDelivery)
    | null;
  refundRequest: { amount: number; reason: string; requestedAt: string } | null;
  dispute: {
    openedBy: ActorRole;
    reason: string;
    openedAt: string;
    contestedAmount?: number;
    evidenceRequest?: EvidenceRequest;
  } | null;
  /** When the current wait began (its status started), for its reminder: null while nothing waits. */
  waitingSince: string | null;
  /** A second hold the workflow is to take (a car's balance, after an accepted inspection). */
  balanceDue: { paymentMethod: string } | null;
  /** The total ever held for the escrow. */
  funded: number;
  /** The money that has left the escrow so far, oldest first. */
  disbursements: Disbursement[];
  settlement: Settlement | null;
  failureReason: string | null;
  pending: Pending | null;
  attention: Attention | null;
  /** The ops resolution, once decided. */
  resolution: Resolution | null;
  /**
   * Set from the moment the provider may have been told to move the pending
   * outcome's money (the `settling` entry, at `version`) until the outcome is
   * recorded: that outcome can then only be repeated, never replaced. Its
   * movements' keys name that version (ARCHITECTURE.md v1.2 decision 4), so a
   * repeat is the same call and a new intent never reuses a key.
   */
  settling: { version: number } | null;
  paymentRef: string | null;
  extensions: { count: number; totalSeconds: number };
  ledger: Posting[];
  updatedAt: string;
  version: number;
}

/** What the state keeps that the resource does not show (the workflow's and the ledger's bookkeeping). */
type StateHidden =
  | "tenantId"
  | "paymentMethod"
  | "waitingSince"
  | "balanceDue"
  | "pending"
  | "attention"
  | "settling"
  | "paymentRef"
  | "extensions"
  | "ledger";

/** The resource of API.md: the state's fields, a kind's own (its module's `view`), and what is derived. */
export type EscrowView = Omit<EscrowState, StateHidden | KindShown> &
  Partial<Pick<EscrowState, KindShown>> & {
    pendingAction: PendingAction | null;
    /** What is held now (funded less what has left). */
    held: number;
    needsOpsAttention: boolean;
    attentionReason: AttentionReason | null;
  };
