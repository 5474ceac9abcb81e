import type { Entry } from "../domain/escrow";
import type { EscrowState, EscrowStatus, EscrowTerms } from "../domain/types";

/** What is stored of an escrow: its terms and its history (the state is their fold). */
export interface EscrowRecord {
  terms: EscrowTerms;
  history: Entry[];
}

/** The task token of the workflow's current wait, and the last version the workflow had seen when it began. */
export interface WaitRecord {
  token: string;
  seenVersion: number;
  since: string;
}

/** A completed idempotent request: enough to answer it again. */
export interface IdempotencyRecord {
  requestHash: string;
  escrowId: string;
  version: number;
  statusCode: number;
  expiresAt: number;
}

export interface ListFilter {
  buyerId?: string;
  sellerId?: string;
  status?: EscrowStatus;
  limit: number;
  cursor?: string;
}

export interface EscrowStore {
  get(tenantId: string, escrowId: string): Promise<EscrowRecord | null>;
  /** Writes a new escrow; false when one with this id already exists. */
  create(record: EscrowRecord, state: EscrowState): Promise<boolean>;
  /**
   * Appends one entry with a single conditional write on the version the
   * caller read (`previous` is the escrow as read, `next` after the entry);
   * throws ConcurrentUpdateError when the escrow moved on.
   */
  append(record: EscrowRecord, entry: Entry, previous: EscrowState, next: EscrowState): Promise<void>;
  list(tenantId: string, filter: ListFilter): Promise<{ items: EscrowRecord[]; nextCursor: string | null }>;
  putWait(tenantId: string, escrowId: string, wait: WaitRecord, expiresAt: number): Promise<void>;
  getWait(tenantId: string, escrowId: string): Promise<WaitRecord | null>;
  getIdempotency(tenantId: string, keyHash: string): Promise<IdempotencyRecord | null>;
  putIdempotency(tenantId: string, keyHash: string, record: IdempotencyRecord): Promise<void>;
}
