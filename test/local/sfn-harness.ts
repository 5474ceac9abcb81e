import type { Server } from "node:http";
import { SFNClient } from "@aws-sdk/client-sfn";
import { afterEach, beforeEach } from "vitest";
import {
  type HistoryEvent,
  LocalStepFunctions,
  type LocalStepFunctionsOptions,
  type SnsPublishParams,
} from "../../infra/local/step-functions";
import { callbackDefinition as definition, fn, SM_ARN } from "./fixtures/definitions";
import { closeServer, fakeCredentials, listen, removeDir, tempDir, waitFor } from "./helpers";

/**
 * What the local Step Functions suites share: a service over the callback
 * definition with recording task handlers, an SDK client over its HTTP
 * endpoint, and a data directory of each test's own (closed and removed
 * after it) in a file that calls useSfnHarness().
 */
export interface Harness {
  service: LocalStepFunctions;
  waits: Array<{ id: string; taskToken: string }>;
  records: unknown[];
  published: SnsPublishParams[];
}

export let dir: string;
export const open: LocalStepFunctions[] = [];
const servers: Server[] = [];

export function useSfnHarness(): void {
  beforeEach(async () => {
    dir = await tempDir("sfn");
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
    await Promise.all(servers.splice(0).map(closeServer));
    await removeDir(dir);
  });
}

export function harness(
  opts: {
    timeoutSeconds?: number;
    prepare?: (payload: { id: string }) => Promise<unknown>;
    beginWait?: (payload: { id: string; taskToken: string }) => Promise<unknown>;
  } & Partial<LocalStepFunctionsOptions> = {},
): Harness {
  const waits: Harness["waits"] = [];
  const records: unknown[] = [];
  const published: SnsPublishParams[] = [];
  const { timeoutSeconds = 30, prepare, beginWait, ...rest } = opts;
  const service = new LocalStepFunctions({
    dataDir: dir,
    definition,
    stateMachineArn: SM_ARN,
    taskHandlers: {
      [fn("prepare")]: prepare ?? (async () => ({ timeoutSeconds })),
      "begin-wait":
        beginWait ??
        (async (p) => {
          waits.push(p as { id: string; taskToken: string });
          return { stored: true };
        }),
      [fn("record")]: async (p) => {
        records.push(p);
        return null;
      },
    },
    snsPublish: async (params) => {
      published.push(params);
      return { MessageId: `msg-${published.length}` };
    },
    retryIntervalOverrides: { Prepare: 0, Await: 0 },
    onError: () => {},
    ...rest,
  });
  open.push(service);
  return { service, waits, records, published };
}

export async function client(service: LocalStepFunctions): Promise<SFNClient> {
  const { createSfnHttpServer } = await import("../../infra/local/step-functions");
  const server = createSfnHttpServer(service);
  servers.push(server);
  const endpoint = await listen(server);
  return new SFNClient({ endpoint, region: "us-east-1", credentials: fakeCredentials, maxAttempts: 1 });
}

export const finished = (service: LocalStepFunctions, arn: string, timeoutMs = 10_000) =>
  waitFor(
    async () => {
      const d = await service.describeExecution(arn);
      return d.status !== "RUNNING" && d;
    },
    { timeoutMs, what: `the end of ${arn}` },
  );

export const types = (events: HistoryEvent[]) => events.map((e) => e.type);
export const entered = (events: HistoryEvent[]) =>
  events
    .filter((e) => e.type.endsWith("StateEntered"))
    .map((e) => (e.stateEnteredEventDetails as { name: string }).name);
