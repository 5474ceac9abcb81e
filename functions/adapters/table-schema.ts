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
    /** A buyer's escrows, newest first: T#<tenant>#B#<buyerId> / <createdAt>#<id>. */
    byBuyer: { name: "ByBuyer", partitionKey: "GSI1PK", sortKey: "GSI1SK" },
    /** A seller's escrows. */
    bySeller: { name: "BySeller", partitionKey: "GSI2PK", sortKey: "GSI2SK" },
    /** All of a tenant's escrows. */
    byTenant: { name: "ByTenant", partitionKey: "GSI3PK", sortKey: "GSI3SK" },
    /** Sparse: only escrows that wait for ops (DISPUTED, or escalated). */
    opsQueue: { name: "OpsQueue", partitionKey: "GSI4PK", sortKey: "GSI4SK" },
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
