import type { KindDelivery } from "./kinds/names";
import type { KindEntry } from "./kinds/registry";
import type { WindowName } from "./outcomes";
import type {
  ActorRole,
  AttentionReason,
  EvidenceRequest,
  OpsUser,
  ReasonCode,
  SettlementOutcome,
} from "./types";

/**
 * The escrow as a decider: commands are checked against the current state and
 * produce one history entry; `evolve` applies an entry. The stored record is
 * the immutable terms plus the history, so the escrow as it was at any version
 * (for an idempotent replay or an event) is `fold` of a prefix of the history.
 *
 * An entry records only facts (who did what, with which values); everything
 * that follows from them — deadlines, the pending outcome, the settlement and
 * the ledger postings — is derived in `evolve`, so the record cannot disagree
 * with itself and each write stays small (DynamoDB bills writes per KB).
 */

/** An ops action's entry names the ops user at its top level (API.md v1.2: who decided). */
export type EntryOf<T extends string, D> = { type: T; actor: ActorRole; data: D; opsUser?: OpsUser };

/** The entries every kind's escrow may record (a kind's own: its module, listed in `KindEntry`). */
type CommonEntry =
  | EntryOf<"created", Record<string, never>>
  | EntryOf<"funded", { paymentRef: string }>
  | EntryOf<"payment_failed", { failureReason: string }>
  | EntryOf<
      "delivered",
      {
        actorId: string;
        carrier: string | null;
        trackingNumber: string | null;
        note: string | null;
        /** Proved by a handover code (never the code itself). */
        inPerson?: true;
      } & KindDelivery
    >
  | EntryOf<"extended", { actorId: string; seconds: number }>
  | EntryOf<"refund_requested", { actorId: string; amount: number; reason: string }>
  | EntryOf<"refund_accepted", { actorId: string; note: string | null }>
  | EntryOf<"refund_rejected", { actorId: string; note: string | null }>
  | EntryOf<"disputed", { actorId: string; reason: string }>
  | EntryOf<"confirmed", { actorId: string }>
  | EntryOf<"cancellation_requested", { actorId: string; reason: string | null }>
  | EntryOf<
      "resolution_accepted",
      { note: string; outcome: SettlementOutcome; refundAmount?: number; reasonCode?: ReasonCode }
    >
  /** Ops dealt with what needed them (a refused payout, fixed at the provider): the workflow tries again. */
  | EntryOf<"resumed", { note: string }>
  | EntryOf<"window_elapsed", { window: WindowName }>
  /** Ops asked the parties for evidence by `dueAt`; the dispute's deadline moves to at least 72 h after it. */
  | EntryOf<"evidence_requested", EvidenceRequest>
  | EntryOf<"escalated", { reason: AttentionReason; detail: string }>
  /** The money the pending outcome decided is about to move: recorded before the provider is called. */
  | EntryOf<"settling", Record<string, never>>
  /** The first step of a pending partial movement left the escrow; the rest stays held. */
  | EntryOf<"partially_settled", Record<string, never>>
  | EntryOf<"released" | "refunded" | "settled", Record<string, never>>
  | EntryOf<"cancelled", { failureReason: string }>;

export type EntryDraft = CommonEntry | KindEntry;

export type EntryType = EntryDraft["type"];

/** One line of an escrow's history; `idem` ties it to the request that caused it. */
export type Entry = EntryDraft & { v: number; at: string; idem?: string };
