import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { Api } from "./client";
import { expectAllPublishedEventsValid } from "./event-validation";

const ROOT = new URL("../../", import.meta.url).pathname;

export interface LocalServer {
  url: string;
  dataDir: string;
  child: ChildProcess;
  output: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<void>;
}

/** The DynamoDB engine the suite runs against: dynalite, or AWS's DynamoDB Local (`ESCROW_LOCAL_DYNAMODB=dynamodb-local`). */
export const BACKEND = process.env.ESCROW_LOCAL_DYNAMODB ?? "dynalite";

/**
 * One synthesized template for every test server (and every run while the
 * stack's sources are unchanged: the cache is keyed by their fingerprint).
 */
const TEMPLATE_CACHE = process.env.ESCROW_LOCAL_TEMPLATE_CACHE ?? join(tmpdir(), "escrow-e2e-template-cache");

/**
 * Starts the real local service (`npm start`'s entry point) in a child process
 * on a free port, with its own data folder, and waits until it says where it
 * listens (and on which DynamoDB engine: the one the suite asked for).
 */
export async function startServer(
  options: {
    dataDir?: string;
    env?: Record<string, string>;
    /** A test that provokes refusals on purpose (the others fail on any: the stack lacks a grant). */
    expectRefusals?: boolean;
  } = {},
): Promise<LocalServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "escrow-e2e-"));
  mkdirSync(TEMPLATE_CACHE, { recursive: true });
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "infra/local/main.ts")], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: "0",
      ESCROW_LOCAL_DATA_DIR: dataDir,
      ESCROW_LOCAL_QUIET: "1",
      ESCROW_LOCAL_TEMPLATE_CACHE: TEMPLATE_CACHE,
      // The workflow's retry back-off at a hundredth (AWS's 1 s to 5 min becomes 10 ms to 3 s): a step
      // retried after a fault clears goes on within seconds, as the tests' time scale needs.
      ESCROW_LOCAL_RETRY_SCALE: "0.01",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout?.on("data", (d) => {
    log += d;
  });
  child.stderr?.on("data", (d) => {
    log += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`local service did not start in 90 s:\n${log}`)), 90_000);
    const onData = () => {
      const m = log.match(/listening on (http:\/\/127\.0\.0\.1:\d+) \(([\w-]+)\)/);
      if (m) {
        if (m[2] !== BACKEND)
          reject(new Error(`the service runs on ${m[2]}, the suite asked for ${BACKEND}`));
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    };
    child.stdout?.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`local service exited with ${code}:\n${log}`));
    });
  });
  // A service that dies under a test leaves only ECONNREFUSED behind: say why it died.
  let stopping = false;
  child.on("exit", (code, signal) => {
    if (!stopping)
      console.error(
        `the local service at ${url} exited (${code ?? signal}) under the tests:\n${log.slice(-8000)}`,
      );
  });
  return {
    url,
    dataDir,
    child,
    output: () => log,
    stop: async (signal = "SIGTERM") => {
      // The local IAM enforces the stack's policies (infra/local/iam): a call the stack does not
      // allow fails a first deploy, so it fails the suite here, however the tests fared.
      const refusals = options.expectRefusals ? [] : await refusalsOf(url);
      const alive = child.exitCode === null && child.signalCode === null;
      // Before it stops: every event it published on either topic matches its type's schema.
      const checked = alive ? expectAllPublishedEventsValid(url).catch((e: Error) => e) : undefined;
      const invalid = await checked;
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        stopping = true;
        child.once("exit", () => resolve());
        child.kill(signal);
      });
      if (refusals.length)
        throw new Error(
          `the local IAM refused ${refusals.length} call(s) the stack does not allow:\n${refusals
            .map((r) => `AccessDenied (${r.principal}): ${r.message}`)
            .join("\n")}`,
        );
      if (invalid instanceof Error) throw invalid;
    },
  };
}

/** The calls the local IAM refused so far (none when the service is gone). */
async function refusalsOf(url: string): Promise<{ principal: string; message: string }[]> {
  try {
    const res = await fetch(`${url}/_local/iam`);
    return res.ok
      ? ((await res.json()) as { refusals: { principal: string; message: string }[] }).refusals
      : [];
  } catch {
    return []; // stopped already (a test killed it): what it refused is in the records and the report
  }
}

/**
 * The local service for the tests of one file: started before them (a server
 * of its own) and stopped after them. The client it returns reaches the
 * service once it has started.
 */
export function useLocalService(options?: Parameters<typeof startServer>[0]): Api {
  let server: LocalServer | undefined;
  beforeAll(async () => {
    server = await startServer(options);
  });
  afterAll(async () => server?.stop());
  return new Api(() => {
    if (!server) throw new Error("the local service has not started");
    return server.url;
  });
}
