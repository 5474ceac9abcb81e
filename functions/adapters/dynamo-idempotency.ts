import { type DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import type { IdempotencyRecord, IdempotencyStore } from "../ports/idempotency-store";
import { idempotencyKey } from "./table-schema";

const opts = { removeUndefinedValues: true, convertTopLevelContainer: false } as const;

/** Completed requests by key, one item each in the escrow table (expired by TTL). */
export class DynamoIdempotency implements IdempotencyStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async get(tenantId: string, keyHash: string): Promise<IdempotencyRecord | null> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: marshall(idempotencyKey(tenantId, keyHash)),
        ConsistentRead: true,
      }),
    );
    if (!out.Item) return null;
    const { requestHash, escrowId, version, statusCode, expiresAt, resourceId } = unmarshall(out.Item);
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
