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
    /** Sparse: only escrows that wait for ops (DISPUTED, or escalated): T#<tenant>#Q / since. */
    opsQueue: { name: "OpsQueue", partitionKey: "GSI4PK", sortKey: "opsSince" },
  },
} as const;

export const escrowKey = (tenantId: string, escrowId: string) => ({
  PK: `T#${tenantId}#E#${escrowId}`,
  SK: "ESCROW",
});
export const waitKey = (tenantId: string, escrowId: string) => ({
  PK: `T#${tenantId}#E#${escrowId}`,
  SK: "WAIT",
});
export const idempotencyKey = (tenantId: string, keyHash: string) => ({
  PK: `T#${tenantId}#K#${keyHash}`,
  SK: "IDEM",
});
export const clientKey = (clientId: string) => ({ PK: `CLIENT#${clientId}`, SK: "CLIENT" });
