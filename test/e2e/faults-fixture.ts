import {
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListStateMachinesCommand,
  SFNClient,
} from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, expect } from "vitest";
import { executionsOf as executionsOfEscrow } from "../support/executions";
import { waitFor } from "../support/wait";
import { checkEvents, checkLedger, type HistoryItem, RecordingApi } from "./campaign";
import { order } from "./client";
import { type LocalServer, startServer } from "./server";

/**
 * What the end-to-end fault suites share (faults.test.ts, faults-recovery.test.ts): the
 * local service of the file that calls useFaultedService(), an SDK client to
 * its Step Functions, escrows at their usual steps, and what a user notices
 * once a fault is over.
 */
export const GRACE_SECONDS = 60;
/** Once the clock is moved, what is left is the workflow's own steps (their retries at a hundredth). */
export const RECOVERY_MS = 30_000;

export let server: LocalServer;
export let api: RecordingApi;
export let sfn: SFNClient;
export let stateMachineArn: string;

export function useFaultedService(): void {
  beforeAll(async () => {
    server = await startServer();
    api = new RecordingApi(server.url);
    sfn = new SFNClient({
      endpoint: server.url,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const machines = await sfn.send(new ListStateMachinesCommand({}));
    stateMachineArn = machines.stateMachines?.[0]?.stateMachineArn as string;
  });
  afterAll(async () => {
    sfn?.destroy();
    await server?.stop();
  });
}

export const BUYER = "u-1001";
export const SELLER = "u-2002";

export const executionArn = (name: string) =>
  `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;

/** Every execution of one escrow: `<id>`, and its continuations and restarts `<id>-…`. */
export const executionsOf = (id: string) => executionsOfEscrow(sfn, stateMachineArn, id);

export async function historyOf(name: string): Promise<HistoryEvent[]> {
  const out = await sfn.send(
    new GetExecutionHistoryCommand({ executionArn: executionArn(name), maxResults: 1000 }),
  );
  return out.events ?? [];
}

/** The escrow's own history (GET …/events). */
export async function recordOf(id: string): Promise<HistoryItem[]> {
  const res = await api.call("GET", `/v1/escrows/${id}/events`);
  expect(res.status).toBe(200);
  return res.body.items;
}

export async function funded(overrides: Record<string, unknown> = {}) {
  const created = await api.create(order(overrides));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return api.waitFor(created.body.id, "FUNDED");
}

/** A delivered escrow whose confirmation wait has begun (its escrow.delivered event is out). */
export async function delivered() {
  const escrow = await funded();
  const res = await api.act(escrow.id, "delivery", { actorId: SELLER, carrier: "SF", trackingNumber: "SF1" });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  await api.waitForEvents(escrow.id, ["escrow.funded", "escrow.delivered"]);
  return res.body;
}

/**
 * What a user notices once it is over: the escrow in `status` with nothing
 * pending, the provider's ledger equal to its settlement (every key once),
 * every event its history announces published — one body per event id
 * (repeated deliveries allowed) and nothing it does not announce.
 */
export async function settles(id: string, status: string, timeoutMs = RECOVERY_MS) {
  // The reconciler's marks of what is owed or overdue come due (a minute's grace, then its visit).
  await api.advanceClock(GRACE_SECONDS + 1);
  const escrow = await api.waitFor(id, status, timeoutMs);
  const ledger = await api.payments(id);
  expect(checkLedger(escrow, ledger), JSON.stringify(ledger)).toEqual([]);
  const history = await recordOf(id);
  let check = checkEvents(id, history, []);
  const notes = await waitFor(
    async () => {
      const items = await api.notifications(id);
      check = checkEvents(id, history, items);
      return check.missing.length === 0 && items;
    },
    {
      timeoutMs,
      intervalMs: 250,
      what: `every event the history of ${id} announces`,
      describe: () => `missing ${check.missing.join(", ")}`,
    },
  );
  check = checkEvents(id, history, notes);
  expect(check.inconsistent, "event ids delivered with different bodies").toEqual([]);
  expect(check.unexpected, "events the history does not announce").toEqual([]);
  return { escrow, ledger, history, notes, types: check.expected.map((e) => e.type) };
}

/** API.md: while a dependency fails, 2xx (carried out) or 503 (changed nothing), never 500. */
export const no500 = () => expect(api.answers500).toEqual([]);

/** Fault phases of the concurrent scenarios run one at a time (each fault is global to the service). */
export let lock: Promise<unknown> = Promise.resolve();
export function exclusive<T>(phase: () => Promise<T>): Promise<T> {
  const run = lock.then(phase);
  lock = run.catch(() => {});
  return run;
}
export async function endFault(id: string) {
  const res = await api.call("DELETE", `/_local/faults/${id}`, { token: null });
  expect(res.status).toBe(204);
}
