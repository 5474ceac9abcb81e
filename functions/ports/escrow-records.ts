import type { Entry } from "../domain/escrow";
import type { EscrowMarks } from "../domain/reconciliation";
import type { EscrowState, EscrowStatus, EscrowTerms } from "../domain/types";

/**
 * What is stored of an escrow: its terms and its history (the state is their
 * fold), and the reconciler's marks beside them (none when not read: a record
 * built in memory).
 */
export interface EscrowRecord {
  terms: EscrowTerms;
  history: Entry[];
  marks?: EscrowMarks;
}

export interface ListFilter {
  buyerId?: string;
  sellerId?: string;
  status?: EscrowStatus;
  needsOpsAttention?: boolean;
  /** Read the ops queue (DISPUTED or needsOpsAttention, soonest deadline first) instead of all escrows. */
  opsQueue?: boolean;
  limit: number;
  cursor?: string;
  /**
   * A further filter that reads beside the escrows (the ops desk's assignee): told each index
   * page's escrows at once, it answers which to keep, in order.
   */
  accept?: (records: EscrowRecord[]) => Promise<boolean[]>;
}

/**
 * How an append ended, in the domain's words (the adapter classifies its
 * store's errors): `appended`; `conflict`, the escrow or its marks moved on
 * (the condition failed: nothing was written); `unknown`, the answer was lost
 * (a timeout, a dropped connection): the entry may have landed — read back.
 */
export type AppendResult = "appended" | "conflict" | "unknown";

/** The escrows themselves: one record each, every transition one conditional write. */
export interface EscrowRecords {
  get(tenantId: string, escrowId: string): Promise<EscrowRecord | null>;
  /** Writes a new escrow (provisional until `confirm`); false when one with this id already exists. */
  create(record: EscrowRecord, state: EscrowState): Promise<boolean>;
  /**
   * Appends one entry with a single conditional write on the version and the
   * marks the caller read (`previous` is the escrow as read, `next` after the
   * entry); the due mark follows (`dueOf`).
   */
  append(record: EscrowRecord, entry: Entry, previous: EscrowState, next: EscrowState): Promise<AppendResult>;
  list(tenantId: string, filter: ListFilter): Promise<{ items: EscrowRecord[]; nextCursor: string | null }>;
  /** A new escrow's creation is answered (201): it becomes readable. */
  confirm(tenantId: string, escrowId: string): Promise<void>;
  /**
   * Makes a creation provisional again while it is still at version 1: its
   * request answers 503 after its confirmations failed (one may have landed
   * unseen). Does nothing once it moved on.
   */
  unconfirm(tenantId: string, escrowId: string): Promise<void>;
}
