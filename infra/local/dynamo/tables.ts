import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type LocalSecondaryIndex,
  type Projection,
  ResourceNotFoundException,
} from "@aws-sdk/client-dynamodb";

/**
 * The table of a synthesized template, created locally: `createTableFromTemplate`
 * takes the Properties of an `AWS::DynamoDB::Table`, ignoring what local
 * engines do not have (SSE, PITR, TTL, tags, streams, deletion protection,
 * contributor insights, table class...).
 */

/** The Properties of an AWS::DynamoDB::Table resource (the parts that matter locally). */
export interface CfnTableProperties {
  TableName?: unknown;
  KeySchema: KeySchemaElement[];
  AttributeDefinitions: AttributeDefinition[];
  BillingMode?: "PAY_PER_REQUEST" | "PROVISIONED";
  ProvisionedThroughput?: { ReadCapacityUnits: number; WriteCapacityUnits: number };
  GlobalSecondaryIndexes?: Array<{
    IndexName: string;
    KeySchema: KeySchemaElement[];
    Projection: Projection;
    ProvisionedThroughput?: { ReadCapacityUnits: number; WriteCapacityUnits: number };
  }>;
  LocalSecondaryIndexes?: Array<{ IndexName: string; KeySchema: KeySchemaElement[]; Projection: Projection }>;
  TimeToLiveSpecification?: { AttributeName?: string; Enabled?: boolean };
  [ignored: string]: unknown;
}

export interface CreatedTable {
  tableName: string;
  /** False when the table was already there (nothing was changed). */
  created: boolean;
  /** The TTL attribute when the template enables TTL: give it to startTtlSweeper. */
  ttlAttribute?: string;
}

function assertPlain(value: unknown, where: string): void {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) assertPlain(v, `${where}[${i}]`);
  } else if (typeof value === "object" && value !== null)
    for (const [k, v] of Object.entries(value)) {
      if (k === "Ref" || k.startsWith("Fn::"))
        throw new Error(
          `${where}: unresolved CloudFormation intrinsic ${k}; resolve it before creating the table`,
        );
      assertPlain(v, `${where}.${k}`);
    }
}

/** The CreateTable input for a template table (exported for inspection and tests). */
export function createTableInput(
  properties: CfnTableProperties,
  tableName?: string,
): CreateTableCommandInput {
  const name = tableName ?? (typeof properties.TableName === "string" ? properties.TableName : undefined);
  if (!name) throw new Error("the table has no TableName in the template: pass options.tableName");
  for (const key of [
    "KeySchema",
    "AttributeDefinitions",
    "BillingMode",
    "ProvisionedThroughput",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
  ])
    assertPlain(properties[key], key);
  if (!Array.isArray(properties.KeySchema) || !Array.isArray(properties.AttributeDefinitions))
    throw new Error("the table needs KeySchema and AttributeDefinitions");
  const provisioned = (properties.BillingMode ?? "PROVISIONED") === "PROVISIONED";
  const throughput = (t?: { ReadCapacityUnits: number; WriteCapacityUnits: number }) => ({
    ReadCapacityUnits: Number(t?.ReadCapacityUnits ?? 5),
    WriteCapacityUnits: Number(t?.WriteCapacityUnits ?? 5),
  });
  const gsis: GlobalSecondaryIndex[] | undefined = properties.GlobalSecondaryIndexes?.map((g) => ({
    IndexName: g.IndexName,
    KeySchema: g.KeySchema,
    Projection: g.Projection,
    ...(provisioned ? { ProvisionedThroughput: throughput(g.ProvisionedThroughput) } : {}),
  }));
  const lsis: LocalSecondaryIndex[] | undefined = properties.LocalSecondaryIndexes?.map((l) => ({
    IndexName: l.IndexName,
    KeySchema: l.KeySchema,
    Projection: l.Projection,
  }));
  return {
    TableName: name,
    KeySchema: properties.KeySchema,
    AttributeDefinitions: properties.AttributeDefinitions,
    BillingMode: provisioned ? "PROVISIONED" : "PAY_PER_REQUEST",
    ...(provisioned ? { ProvisionedThroughput: throughput(properties.ProvisionedThroughput) } : {}),
    ...(gsis && gsis.length > 0 ? { GlobalSecondaryIndexes: gsis } : {}),
    ...(lsis && lsis.length > 0 ? { LocalSecondaryIndexes: lsis } : {}),
  };
}

/**
 * Creates the table described by a template's AWS::DynamoDB::Table
 * Properties unless a table of that name exists, and waits until it is ACTIVE.
 */
export async function createTableFromTemplate(
  client: DynamoDBClient,
  properties: CfnTableProperties,
  options: { tableName?: string; timeoutMs?: number } = {},
): Promise<CreatedTable> {
  const input = createTableInput(properties, options.tableName);
  const tableName = input.TableName as string;
  const ttl = properties.TimeToLiveSpecification;
  const ttlAttribute = ttl?.Enabled && typeof ttl.AttributeName === "string" ? ttl.AttributeName : undefined;
  const result = (created: boolean): CreatedTable => ({
    tableName,
    created,
    ...(ttlAttribute ? { ttlAttribute } : {}),
  });
  if (await tableStatus(client, tableName)) {
    await waitActive(client, tableName, options.timeoutMs ?? 30_000);
    return result(false);
  }
  try {
    await client.send(new CreateTableCommand(input));
  } catch (error) {
    // Created meanwhile by someone else: fine.
    if ((error as Error).name !== "ResourceInUseException") throw error;
  }
  await waitActive(client, tableName, options.timeoutMs ?? 30_000);
  return result(true);
}

async function tableStatus(client: DynamoDBClient, tableName: string): Promise<string | undefined> {
  try {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return out.Table?.TableStatus ?? "ACTIVE";
  } catch (error) {
    if (error instanceof ResourceNotFoundException || (error as Error).name === "ResourceNotFoundException")
      return undefined;
    throw error;
  }
}

async function waitActive(client: DynamoDBClient, tableName: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if ((await tableStatus(client, tableName)) === "ACTIVE") return;
    if (Date.now() > until) throw new Error(`table ${tableName} did not become ACTIVE in time`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
