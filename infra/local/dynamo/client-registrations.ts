import { type DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { clientRegistrationItem } from "../../../functions/adapters/dynamo-tenant-directory";

/**
 * Registers OAuth clients with their tenants in the table, where the API
 * handlers' tenant directory looks them up (`clientKey(clientId)` → `tenantId`).
 * Idempotent: re-seeding overwrites with the same values.
 */
export async function seedClientRegistrations(
  client: DynamoDBClient,
  tableName: string,
  tenantsByClient: ReadonlyMap<string, string>,
): Promise<void> {
  for (const [clientId, tenantId] of tenantsByClient)
    await client.send(
      new PutItemCommand({ TableName: tableName, Item: clientRegistrationItem({ clientId, tenantId }) }),
    );
}
