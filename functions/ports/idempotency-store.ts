/** A completed idempotent request: enough to answer it again. */
export interface IdempotencyRecord {
  requestHash: string;
  escrowId: string;
  version: number;
  statusCode: number;
  /** What a request that created something else than the escrow made (a piece of evidence). */
  resourceId?: string;
  expiresAt: number;
}

/** Completed requests by their (hashed) Idempotency-Key, per tenant. */
export interface IdempotencyStore {
  get(tenantId: string, keyHash: string): Promise<IdempotencyRecord | null>;
  put(tenantId: string, keyHash: string, record: IdempotencyRecord): Promise<void>;
}
