import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import type { DueEscrow } from "../ports/escrow-store";
import {
  checkpointKey,
  DUE_SHARDS,
  dueShard,
  dueShardOf,
  escrowKey,
  escrowRefOfKey,
  isEvidenceItem,
  isWaitItem,
  TABLE,
  waitKey,
} from "./table-schema";

const { byDue } = TABLE.indexes;

/**
 * The reconciler's marks: a sparse index (`ByDue`, sharded) of the escrow,
 * wait and evidence items it must look at by a time, and its own checkpoint.
 * It reads the index, never the table.
 */
export class DynamoDueMarks {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async markDue(tenantId: string, escrowId: string, due: string): Promise<void> {
    await this.client
      .send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(escrowKey(tenantId, escrowId)),
          UpdateExpression: "SET #shard = :shard, #due = :due",
          // An earlier mark stands (the reconciler looks at the soonest).
          ConditionExpression: "attribute_exists(PK) AND (attribute_not_exists(#due) OR #due > :due)",
          ExpressionAttributeNames: { "#shard": byDue.partitionKey, "#due": byDue.sortKey },
          ExpressionAttributeValues: marshall({ ":shard": dueShardOf(escrowId), ":due": due }),
        }),
      )
      .catch((error) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }

  async clearDue(tenantId: string, escrowId: string, upTo: string): Promise<void> {
    for (const key of [escrowKey(tenantId, escrowId), waitKey(tenantId, escrowId)])
      await this.client
        .send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: marshall(key),
            UpdateExpression: isWaitItem(key.SK) ? "REMOVE #shard, #due, owedFrom" : "REMOVE #shard, #due",
            // A mark made after the reconciler read the escrow stays.
            ConditionExpression: "#due <= :upTo",
            ExpressionAttributeNames: { "#shard": byDue.partitionKey, "#due": byDue.sortKey },
            ExpressionAttributeValues: marshall({ ":upTo": upTo }),
          }),
        )
        .catch((error) => {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        });
  }

  async clearWaitMark(tenantId: string, escrowId: string): Promise<void> {
    await this.client
      .send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(waitKey(tenantId, escrowId)),
          UpdateExpression: "REMOVE #shard, #due",
          ConditionExpression: "attribute_exists(#due) AND attribute_not_exists(owedFrom)",
          ExpressionAttributeNames: { "#shard": byDue.partitionKey, "#due": byDue.sortKey },
        }),
      )
      .catch((error) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }

  async listDue(now: string, limit: number): Promise<DueEscrow[]> {
    const found = new Map<string, { ref: DueEscrow; due: string }>();
    for (let shard = 0; shard < DUE_SHARDS; shard++) {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: byDue.name,
          KeyConditionExpression: "#pk = :pk AND #due <= :now",
          ExpressionAttributeNames: { "#pk": byDue.partitionKey, "#due": byDue.sortKey },
          ExpressionAttributeValues: marshall({ ":pk": dueShard(shard), ":now": now }),
          Limit: limit,
        }),
      );
      for (const item of out.Items ?? []) {
        const { PK, SK, due } = unmarshall(item) as { PK: string; SK: string; due: string };
        const ref = escrowRefOfKey(PK);
        const key = `${ref.tenantId}|${ref.escrowId}`;
        const which = isWaitItem(SK) ? "wait" : isEvidenceItem(SK) ? "evidence" : "escrow";
        const seen = found.get(key);
        if (seen) {
          if (!seen.ref.items.includes(which)) seen.ref.items.push(which);
          if (seen.due > due) seen.due = due;
        } else found.set(key, { ref: { ...ref, items: [which] }, due });
      }
    }
    return [...found.values()]
      .sort((a, b) => a.due.localeCompare(b.due))
      .slice(0, limit)
      .map((f) => f.ref);
  }

  async nextDue(after: string): Promise<string | null> {
    let soonest: string | null = null;
    for (let shard = 0; shard < DUE_SHARDS; shard++) {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: byDue.name,
          KeyConditionExpression: "#pk = :pk AND #due > :after",
          ExpressionAttributeNames: { "#pk": byDue.partitionKey, "#due": byDue.sortKey },
          ExpressionAttributeValues: marshall({ ":pk": dueShard(shard), ":after": after }),
          Limit: 1,
        }),
      );
      const due = out.Items?.[0]?.[byDue.sortKey]?.S;
      if (due && (soonest === null || due < soonest)) soonest = due;
    }
    return soonest;
  }

  async getCheckpoint(): Promise<string | null> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall(checkpointKey()), ConsistentRead: true }),
    );
    return out.Item ? (unmarshall(out.Item).at as string) : null;
  }

  async putCheckpoint(at: string): Promise<void> {
    await this.client.send(
      new PutItemCommand({ TableName: this.tableName, Item: marshall({ ...checkpointKey(), at }) }),
    );
  }
}
