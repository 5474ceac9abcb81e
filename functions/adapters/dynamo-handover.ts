import { type DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import type { HandoverCodes, HandoverRecord } from "../ports/handover-codes";
import { getItem, MARSHALL_OPTIONS as opts, updateIf } from "./dynamo-items";
import { handoverKey, TABLE } from "./table-schema";

/** The buyer's current handover code of an escrow, one item beside it (only the code's salted hash). */
export class DynamoHandoverCodes implements HandoverCodes {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async put(tenantId: string, escrowId: string, record: HandoverRecord): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall(
          {
            ...handoverKey(tenantId, escrowId),
            id: record.id,
            salt: record.salt,
            hash: record.hash,
            validUntil: record.expiresAt,
            wrong: record.wrong,
            used: record.used,
            // The table's TTL sweeps it a day after it expires.
            [TABLE.ttlAttribute]: Math.floor(Date.parse(record.expiresAt) / 1000) + 86_400,
          },
          opts,
        ),
      }),
    );
  }

  async get(tenantId: string, escrowId: string): Promise<HandoverRecord | null> {
    const h = await getItem(this.client, this.tableName, handoverKey(tenantId, escrowId));
    if (!h) return null;
    return { id: h.id, salt: h.salt, hash: h.hash, expiresAt: h.validUntil, wrong: h.wrong, used: h.used };
  }

  async update(
    tenantId: string,
    escrowId: string,
    read: Pick<HandoverRecord, "id" | "wrong">,
    change: { wrong: number } | { used: true },
  ): Promise<boolean> {
    const [update, values] =
      "used" in change
        ? ["SET used = :true", { ":true": true }]
        : ["SET wrong = :next", { ":next": change.wrong }];
    return updateIf(this.client, {
      TableName: this.tableName,
      Key: marshall(handoverKey(tenantId, escrowId)),
      UpdateExpression: update,
      ConditionExpression: "id = :id AND wrong = :wrong AND used = :false",
      ExpressionAttributeValues: marshall({
        ...values,
        ":id": read.id,
        ":wrong": read.wrong,
        ":false": false,
      }),
    });
  }
}
