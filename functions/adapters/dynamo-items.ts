import {
  type AttributeValue,
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  type KeysAndAttributes,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { escrowKey } from "./table-schema";

/** An item as read: its attributes unmarshalled. */
export type Item = ReturnType<typeof unmarshall>;

/** How the adapters marshal an item: undefined attributes left out. */
export const MARSHALL_OPTIONS = { removeUndefinedValues: true, convertTopLevelContainer: false } as const;

/** One item by its key, read consistently, or null. */
export async function getItem(
  client: DynamoDBClient,
  tableName: string,
  key: Record<string, string>,
): Promise<Item | null> {
  const out = await client.send(
    new GetItemCommand({ TableName: tableName, Key: marshall(key), ConsistentRead: true }),
  );
  return out.Item ? unmarshall(out.Item) : null;
}

/** Every item beside the escrow's whose sort key begins with `prefix`, in key order, read consistently. */
export async function itemsBeside(
  client: DynamoDBClient,
  tableName: string,
  tenantId: string,
  escrowId: string,
  prefix: string,
): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "PK = :pk AND begins_with(SK, :prefix)",
        ExpressionAttributeValues: marshall({ ":pk": escrowKey(tenantId, escrowId).PK, ":prefix": prefix }),
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of out.Items ?? []) items.push(unmarshall(item));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Puts a new item; false when one with its key exists (the condition failed: nothing was written). */
export async function putNew(
  client: DynamoDBClient,
  tableName: string,
  item: Record<string, unknown>,
): Promise<boolean> {
  try {
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: marshall(item, MARSHALL_OPTIONS),
        ConditionExpression: "attribute_not_exists(PK)",
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/**
 * Every item of `keys` there is (raw, as the table answered), read by
 * BatchGetItem in batches of 100 with its unprocessed keys read again after a
 * backoff; throws after nine rounds that leave keys unprocessed.
 */
export async function batchGetRaw(
  client: DynamoDBClient,
  tableName: string,
  keys: readonly Record<string, AttributeValue>[],
  projection: Pick<KeysAndAttributes, "ProjectionExpression" | "ExpressionAttributeNames">,
): Promise<Record<string, AttributeValue>[]> {
  const found: Record<string, AttributeValue>[] = [];
  let pending = [...keys];
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 8) throw new Error("BatchGetItem kept leaving keys unprocessed");
    if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
    const out = await client.send(
      new BatchGetItemCommand({
        RequestItems: { [tableName]: { Keys: pending.slice(0, 100), ...projection } },
      }),
    );
    found.push(...(out.Responses?.[tableName] ?? []));
    const unprocessed = (out.UnprocessedKeys?.[tableName]?.Keys ?? []) as Record<string, AttributeValue>[];
    pending = [...unprocessed, ...pending.slice(100)];
  }
  return found;
}

/** Sends an update conditioned on the item; false when the condition failed (nothing was written). */
export async function updateIf(client: DynamoDBClient, update: UpdateItemCommandInput): Promise<boolean> {
  try {
    await client.send(new UpdateItemCommand(update));
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
