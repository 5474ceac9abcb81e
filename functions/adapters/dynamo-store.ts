import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { EscrowStore } from "../ports/escrow-store";
import { DynamoDueMarks } from "./dynamo-due-marks";
import { DynamoEscrowStore } from "./dynamo-escrow-store";
import { DynamoEvidence } from "./dynamo-evidence";
import { DynamoHandoverCodes } from "./dynamo-handover";
import { DynamoIdempotency } from "./dynamo-idempotency";
import { DynamoWorkflowWaits } from "./dynamo-waits";

/**
 * The service's store on one DynamoDB table: each port's adapter over the
 * same client and table (functions/adapters/table-schema.ts lays out the
 * items). `reminderEarlySeconds`: how far ahead of its time a reminder's mark
 * is set (the reconciler's period in AWS; see reminderDue).
 */
export function dynamoStore(
  client: DynamoDBClient,
  tableName: string,
  reminderEarlySeconds = 0,
): EscrowStore {
  return {
    escrows: new DynamoEscrowStore(client, tableName, reminderEarlySeconds),
    waits: new DynamoWorkflowWaits(client, tableName),
    marks: new DynamoDueMarks(client, tableName),
    evidence: new DynamoEvidence(client, tableName),
    handover: new DynamoHandoverCodes(client, tableName),
    idempotency: new DynamoIdempotency(client, tableName),
  };
}
