import { type AttributeValue, type DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { clientKey } from "./table-schema";

/** A registered OAuth client: the tenant it acts for; the rest is for people reading the table. */
export interface ClientRegistration {
  clientId: string;
  tenantId: string;
  scope?: string;
  clientName?: string;
  createdAt?: string;
}

/** The item the directory reads: the one shape every registration (CLI, local runtime) writes. */
export function clientRegistrationItem(r: ClientRegistration): Record<string, AttributeValue> {
  const { PK, SK } = clientKey(r.clientId);
  const item: Record<string, AttributeValue> = { PK: { S: PK }, SK: { S: SK } };
  for (const [name, value] of Object.entries(r)) if (value !== undefined) item[name] = { S: value };
  return item;
}

/** How long a container trusts what it read; a re-assigned client takes effect within this time. */
const CACHE_MS = 5 * 60 * 1000;

/**
 * Which marketplace (tenant) an OAuth client belongs to: one item per app
 * client, read once per container and cached. (A custom tenant claim in
 * client-credentials tokens would need a pre-token-generation trigger and
 * Cognito's M2M pricing on every token; an item read per cold start is cheaper,
 * and re-assigning a client needs no token rotation.)
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
