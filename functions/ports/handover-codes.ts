/** A handover code as stored: never the code, only its salted hash. */
export interface HandoverRecord {
  /** Tells one issued code from the next (a new code replaces the item). */
  id: string;
  salt: string;
  hash: string;
  expiresAt: string;
  wrong: number;
  used: boolean;
}

/** The buyer's current in-person handover code of each escrow. */
export interface HandoverCodes {
  /** Replaces the escrow's code (a new one voids the old). */
  put(tenantId: string, escrowId: string, record: HandoverRecord): Promise<void>;
  get(tenantId: string, escrowId: string): Promise<HandoverRecord | null>;
  /**
   * Changes the code `id` as read (`wrong` attempts so far): a wrong attempt
   * counted, or the code used. False when it changed meanwhile (another
   * attempt, or a new code).
   */
  update(
    tenantId: string,
    escrowId: string,
    read: Pick<HandoverRecord, "id" | "wrong">,
    change: { wrong: number } | { used: true },
  ): Promise<boolean>;
}
