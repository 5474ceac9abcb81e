/**
 * The single table's keys. One item per escrow (its terms and history), one
 * small item for the workflow's current wait, one per completed idempotent
 * request, one per registered client. Every key starts with the tenant, so no
 * query can reach another tenant's items.
 */
export const TABLE = {
  partitionKey: "PK",
  sortKey: "SK",
  ttlAttribute: "expiresAt",
  indexes: {
    /**
     * A buyer's escrows, newest first: T#<tenant>#B#<buyerId> / createdAt. The three list
     * indexes share one sort-key attribute (`listSK`, the creation time), so an escrow item
     * carries it once: every byte of the item is paid for on every write.
     */
    byBuyer: { name: "ByBuyer", partitionKey: "GSI1PK", sortKey: "listSK" },
    /** A seller's escrows: T#<tenant>#S#<sellerId> / createdAt. */
    bySeller: { name: "BySeller", partitionKey: "GSI2PK", sortKey: "listSK" },
    /** All of a tenant's escrows: T#<tenant> / createdAt. */
    byTenant: { name: "ByTenant", partitionKey: "GSI3PK", sortKey: "listSK" },
    /**
     * Sparse: only escrows that wait for ops (DISPUTED, or needsOpsAttention), soonest
     * deadline first: T#<tenant>#Q / deadline (`~` when there is none: it sorts last).
     */
    opsQueue: { name: "OpsQueue", partitionKey: "GSI4PK", sortKey: "opsDeadline" },
    /**
     * Sparse, across tenants: the escrow and wait items the reconciler must look at by a time
     * (an escrow taking its hold or settling, a parked wait's deadline, an event owed):
     * DUE#<shard> / ISO time. The service's own index, so its key is not the tenant's.
     */
    byDue: { name: "ByDue", partitionKey: "dueShard", sortKey: "due" },
  },
} as const;

const WAIT = "WAIT";

export const escrowKey = (tenantId: string, escrowId: string) => ({
  PK: `T#${tenantId}#E#${escrowId}`,
  SK: "ESCROW",
});
export const waitKey = (tenantId: string, escrowId: string) => ({
  PK: `T#${tenantId}#E#${escrowId}`,
  SK: WAIT,
});
/** Whether the item with this sort key is an escrow's wait item (else its escrow item). */
export const isWaitItem = (sortKey: string) => sortKey === WAIT;
export const idempotencyKey = (tenantId: string, keyHash: string) => ({
  PK: `T#${tenantId}#K#${keyHash}`,
  SK: "IDEM",
});
/** The reconciler's bookmark. */
/** The buyer's current handover code of an escrow (its hash only). */
export const handoverKey = (tenantId: string, escrowId: string) => ({
  PK: `T#${tenantId}#E#${escrowId}`,
  SK: "HANDOVER",
});
/** A party's nth piece of evidence on an escrow (1–20): EVID#<buyer|seller>#<nn>. */
const EVIDENCE = "EVID#";
export const evidenceKey = (tenantId: string, escrowId: string, by: string, seq: number) => ({
  PK: `T#${tenantId}#E#${escrowId}`,
  SK: `${EVIDENCE}${by}#${String(seq).padStart(2, "0")}`,
});
export const evidencePrefix = EVIDENCE;
export const isEvidenceItem = (sortKey: string) => sortKey.startsWith(EVIDENCE);
/**
 * The ops desk beside an escrow (API.md v1.2): who holds the case and its changes in one item
 * (DESK), and ops' notes, numbered NOTE#001…200. DESK sorts just before the escrow and its
 * evidence, so one query reads the assignment and the evidence count; the notes sort elsewhere.
 */
const DESK = "DESK";
export const deskKey = (tenantId: string, escrowId: string) => ({
  PK: `T#${tenantId}#E#${escrowId}`,
  SK: DESK,
});
const NOTE = "NOTE#";
export const noteKey = (tenantId: string, escrowId: string, seq: number) => ({
  PK: `T#${tenantId}#E#${escrowId}`,
  SK: `${NOTE}${String(seq).padStart(3, "0")}`,
});
export const notePrefix = NOTE;
/** The sort keys one desk summary reads: DESK, ESCROW and every EVID# item. */
export const deskSummaryRange = [DESK, `${EVIDENCE}~`] as const;
export const checkpointKey = () => ({ PK: "SYSTEM#RECONCILER", SK: "CHECKPOINT" });
/** The partition keys of the indexes an escrow item is listed in (their sort keys: TABLE.indexes). */
export const indexKeys = {
  byBuyer: (tenantId: string, buyerId: string) => `T#${tenantId}#B#${buyerId}`,
  bySeller: (tenantId: string, sellerId: string) => `T#${tenantId}#S#${sellerId}`,
  byTenant: (tenantId: string) => `T#${tenantId}`,
  opsQueue: (tenantId: string) => `T#${tenantId}#Q`,
};
/** Due items are spread over a few partitions so no single one runs hot; the reconciler reads them all. */
export const DUE_SHARDS = 16;
export const dueShard = (shard: number) => `DUE#${shard}`;
export const dueShardOf = (escrowId: string): string => {
  let h = 0;
  for (const c of escrowId) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return dueShard(h % DUE_SHARDS);
};
export const escrowRefOfKey = (pk: string): { tenantId: string; escrowId: string } => {
  const cut = pk.lastIndexOf("#E#"); // T#<tenant>#E#<id>
  return { tenantId: pk.slice(2, cut), escrowId: pk.slice(cut + 3) };
};

export const clientKey = (clientId: string) => ({ PK: `CLIENT#${clientId}`, SK: "CLIENT" });
