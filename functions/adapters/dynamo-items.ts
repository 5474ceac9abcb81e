import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
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
