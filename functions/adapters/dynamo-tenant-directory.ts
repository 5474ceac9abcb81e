import { type DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { clientKey } from "./table-schema";

/** How long a container trusts what it read; a re-assigned client takes effect within this time. */
const CACHE_MS = 5 * 60 * 1000;

/**
 * Which marketplace (tenant) an OAuth client belongs to. Cognito access tokens
 * of the client-credentials grant carry `client_id` but no custom claims, so
 * the mapping is one item per app client, read once per container and cached.
 */
export class DynamoTenantDirectory {
  private readonly cache = new Map<string, { tenantId: string; until: number }>();

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async tenantOf(clientId: string): Promise<string | null> {
    const hit = this.cache.get(clientId);
    if (hit && hit.until > Date.now()) return hit.tenantId;
    const k = clientKey(clientId);
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { PK: { S: k.PK }, SK: { S: k.SK } },
        ProjectionExpression: "tenantId",
      }),
    );
    const tenantId = out.Item?.tenantId?.S;
    if (!tenantId) return null;
    this.cache.set(clientId, { tenantId, until: Date.now() + CACHE_MS });
    return tenantId;
  }
}
