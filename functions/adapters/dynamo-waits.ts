import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import type { WaitRecord, WorkflowWaits } from "../ports/workflow-waits";
import { getItem, updateIf } from "./dynamo-items";
import { waitKey } from "./table-schema";

/**
 * A wait's write is refused when the wait item holds an attempt at the same
 * version that began more than this after it: a later attempt of the wait
 * task began at least the task's timeout (30 s) after one that timed out and
 * whose write lands late, and a few seconds more than any clock difference
 * between two invocations.
 */
export const WAIT_ATTEMPT_SKEW_MS = 10_000;

/** The workflow's wait of each escrow: one item beside it (WAIT), written by the wait tasks and the reconciler. */
export class DynamoWorkflowWaits implements WorkflowWaits {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async put(tenantId: string, escrowId: string, wait: WaitRecord): Promise<void> {
    const { token, ...rest } = wait;
    const item = { ...waitKey(tenantId, escrowId), ...rest, ...(token !== null ? { token } : {}) };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall(item),
          // A slow, superseded attempt must not overwrite the token of a later wait — nor, at the same
          // version, of an attempt that began well after it (WAIT_ATTEMPT_SKEW_MS: clocks differ a little).
          ConditionExpression:
            "attribute_not_exists(PK) OR seenVersion < :seen OR (seenVersion = :seen AND (attribute_not_exists(#since) OR #since <= :latest))",
          ExpressionAttributeNames: { "#since": "since" },
          ExpressionAttributeValues: {
            ":seen": { N: String(wait.seenVersion) },
            ":latest": { S: new Date(Date.parse(wait.since) + WAIT_ATTEMPT_SKEW_MS).toISOString() },
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async get(tenantId: string, escrowId: string): Promise<WaitRecord | null> {
    const w = await getItem(this.client, this.tableName, waitKey(tenantId, escrowId));
    if (!w) return null;
    return {
      token: w.token ?? null,
      seenVersion: w.seenVersion,
      since: w.since,
      execution: w.execution ?? escrowId,
      parked: w.parked === true,
      published: w.published ?? 0,
    };
  }

  async setPublished(tenantId: string, escrowId: string, version: number): Promise<void> {
    // A later version already recorded (or no wait item) stays as it is.
    await updateIf(this.client, {
      TableName: this.tableName,
      Key: marshall(waitKey(tenantId, escrowId)),
      UpdateExpression: "SET published = :v",
      ConditionExpression: "attribute_exists(PK) AND (attribute_not_exists(published) OR published < :v)",
      ExpressionAttributeValues: marshall({ ":v": version }),
    });
  }
}
