import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import type { EvidenceRecord, EvidenceStore } from "../ports/evidence-store";
import { itemsBeside, putNew, updateIf } from "./dynamo-items";
import { evidenceKey, evidencePrefix, TABLE } from "./table-schema";

const { byDue } = TABLE.indexes;

/**
 * Dispute evidence: one item per piece, beside the escrow item, so a dispute
 * with 40 pieces never makes a transition rewrite them. A party's pieces are
 * numbered in their keys (EVID#<party>#01…20): the limit holds under racing
 * additions, each of which takes the next free number with a conditional put.
 */
export class DynamoEvidence implements EvidenceStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async add(tenantId: string, escrowId: string, e: EvidenceRecord): Promise<boolean> {
    const { unpublished, idem, ...rest } = e;
    return putNew(this.client, this.tableName, {
      ...evidenceKey(tenantId, escrowId, e.by, e.seq),
      ...rest,
      ...(idem !== null ? { idem } : {}),
      // Until its event is published (the escrow's mark asks the reconciler to see to it).
      ...(unpublished ? { unpublished: true } : {}),
    });
  }

  async list(tenantId: string, escrowId: string): Promise<EvidenceRecord[]> {
    const items = await itemsBeside(this.client, this.tableName, tenantId, escrowId, evidencePrefix);
    return items.map((r) => ({
      id: r.id,
      by: r.by,
      text: r.text,
      attachments: r.attachments ?? [],
      at: r.at,
      seq: r.seq,
      version: r.version,
      idem: r.idem ?? null,
      // An item written before the marks moved to the escrow item carried its own due mark.
      unpublished: r.unpublished === true || r[byDue.sortKey] !== undefined,
    }));
  }

  async published(tenantId: string, escrowId: string, e: Pick<EvidenceRecord, "by" | "seq">): Promise<void> {
    // Already marked published: nothing to do.
    await updateIf(this.client, {
      TableName: this.tableName,
      Key: marshall(evidenceKey(tenantId, escrowId, e.by, e.seq)),
      UpdateExpression: "REMOVE unpublished, #shard, #due",
      ConditionExpression: "attribute_exists(unpublished) OR attribute_exists(#due)",
      ExpressionAttributeNames: { "#shard": byDue.partitionKey, "#due": byDue.sortKey },
    });
  }
}
