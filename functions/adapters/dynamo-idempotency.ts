import { type DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import type { IdempotencyRecord, IdempotencyStore } from "../ports/idempotency-store";
import { getItem, MARSHALL_OPTIONS as opts } from "./dynamo-items";
import { idempotencyKey } from "./table-schema";

/** Completed requests by key, one item each in the escrow table (expired by TTL). */
export class DynamoIdempotency implements IdempotencyStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async get(tenantId: string, keyHash: string): Promise<IdempotencyRecord | null> {
    const item = await getItem(this.client, this.tableName, idempotencyKey(tenantId, keyHash));
    if (!item) return null;
    const { requestHash, escrowId, version, statusCode, expiresAt, resourceId } = item;
    return { requestHash, escrowId, version, statusCode, expiresAt, ...(resourceId ? { resourceId } : {}) };
  }

  async put(tenantId: string, keyHash: string, record: IdempotencyRecord): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall({ ...idempotencyKey(tenantId, keyHash), ...record }, opts),
      }),
    );
  }
}
