import { GetExecutionHistoryCommand, type SFNClient } from "@aws-sdk/client-sfn";
import type { Api } from "../e2e/client";
import type { LocalServer } from "../e2e/server";
import { executionsOf } from "../support/executions";
import { PATHS, type PathName } from "./paths";
import { PRICES, SCALE } from "./prices";
import { dueMarksOf, metrics, resetMetrics } from "./service-metrics";
import { log, sleep } from "./util";

/** What one path costs on AWS, counted from what the local service did for it, and the reconciler's share. */
export interface PathFigures {
  escrowId: string;
  /** The escrow's executions: `<id>` and its continuations and restarts `<id>-…`. */
  executions: string[];
  transitions: number;
  apiRequests: number;
  lambdaInvocations: number;
  lambdaBilledMs: number;
  lambdaGbSeconds: number;
  dynamoWriteUnits: number;
  dynamoIndexWriteUnits: number;
  dynamoReadUnits: number;
  snsPublishes: number;
  dynamoRequests: Record<string, number>;
  /** SendTaskSuccess calls: every wait that ended other than by its timeout (read from the histories). */
  sendTaskSuccess: number;
  /** The states entered, by name, over all its executions. */
  statesEntered: Record<string, number>;
  /** What the reconciler will find of this escrow: its due marks left, and its executions that did not succeed. */
  reconcilerTouches: number;
  costUSD: number;
  costBreakdownUSD: Record<string, number>;
}

export async function measurePath(
  server: LocalServer,
  api: Api,
  sfn: SFNClient,
  name: PathName,
): Promise<PathFigures> {
  await resetMetrics(server.url);
  const { id, apiRequests } = await PATHS[name](api);
  await sleep(150); // the last state's bookkeeping
  const m = await metrics(server.url);
  const executions = await executionsOf(sfn, m.stateMachineArn, id);
  let transitions = 0;
  const statesEntered: Record<string, number> = {};
  for (const execution of executions) {
    const history = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn: `${m.stateMachineArn.replace(":stateMachine:", ":execution:")}:${execution.name}`,
        maxResults: 1000,
      }),
    );
    for (const e of history.events ?? []) {
      if (!String(e.type).endsWith("StateEntered")) continue;
      transitions++;
      const state = String(e.stateEnteredEventDetails?.name);
      statesEntered[state] = (statesEntered[state] ?? 0) + 1;
    }
  }
  const count = (test: (state: string) => boolean) =>
    Object.entries(statesEntered).reduce((n, [state, k]) => n + (test(state) ? k : 0), 0);
  // A wait ends by SendTaskSuccess unless it timed out into its <Wait>WindowEnded (or LeaseEnded) task.
  const sendTaskSuccess =
    count((s) => s.startsWith("Await")) - count((s) => s.endsWith("WindowEnded") || s === "LeaseEnded");
  let invocations = 0;
  let billedMs = 0;
  let gbSeconds = 0;
  for (const [fn, s] of Object.entries(m.functions)) {
    invocations += s.invocations;
    const ms = s.durationsMs.reduce((sum, d) => sum + Math.ceil(d), 0); // Lambda bills whole milliseconds
    billedMs += ms;
    gbSeconds += (ms / 1000) * ((m.memoryMb[fn] ?? 256) / 1024);
  }
  const snsPublishes = (await api.notifications(id)).length;
  const d = m.dynamodb;
  const breakdown = {
    stepFunctions: transitions * PRICES.stepFunctionsPerTransition,
    lambda: invocations * PRICES.lambdaPerRequest + gbSeconds * PRICES.lambdaPerGbSecondArm,
    apiGateway: apiRequests * PRICES.apiGatewayRestPerRequest,
    dynamodb:
      (d.writeUnits + d.indexWriteUnits) * PRICES.dynamoPerWriteUnit + d.readUnits * PRICES.dynamoPerReadUnit,
    sns: snsPublishes * PRICES.snsPerPublish,
  };
  const reconcilerTouches =
    (await dueMarksOf(m.dynamodbEndpoint, id)) + executions.filter((e) => e.status !== "SUCCEEDED").length;
  return {
    escrowId: id,
    executions: executions.map((e) => e.name),
    transitions,
    apiRequests,
    lambdaInvocations: invocations,
    lambdaBilledMs: billedMs,
    lambdaGbSeconds: gbSeconds,
    dynamoWriteUnits: d.writeUnits,
    dynamoIndexWriteUnits: d.indexWriteUnits,
    dynamoReadUnits: d.readUnits,
    snsPublishes,
    dynamoRequests: d.requests,
    sendTaskSuccess,
    statesEntered,
    reconcilerTouches,
    costUSD: Object.values(breakdown).reduce((a, b) => a + b, 0),
    costBreakdownUSD: breakdown,
  };
}

export interface ReconcilerFigures {
  /** Runs measured (on the service at rest after the paths and the load: nothing due, nothing failed). */
  runs: number;
  /** What one run found to do, from the handler's report (median run). */
  report: unknown;
  lambdaBilledMs: number;
  lambdaMemoryMb: number;
  dynamoReadUnits: number;
  dynamoWriteUnits: number;
  dynamoRequests: Record<string, number>;
  costPerRunUSD: number;
  runsPerDay: number;
  /** A run's cost spread over a day's escrows, at SCALE.escrowsPerDay. */
  amortizedPerEscrowUSD: number;
}

/**
 * The reconciler's cost: its scheduled runs (a Lambda invocation and a few
 * DynamoDB requests: the ByDue shards, its checkpoint; Step Functions' List
 * and Describe calls are not billed), measured with the meter on the service
 * at rest, amortized over a day's escrows; plus per escrow the work it does
 * for that escrow, which on a healthy path is none — each path counts what
 * it left for the reconciler (due marks, executions that did not succeed).
 */
export async function measureReconciler(server: LocalServer, api: Api): Promise<ReconcilerFigures | null> {
  const samples: {
    cost: number;
    ms: number;
    report: unknown;
    readUnits: number;
    writeUnits: number;
    requests: Record<string, number>;
    memory: number;
  }[] = [];
  for (let i = 0; i < 7; i++) {
    await resetMetrics(server.url);
    let report: unknown;
    try {
      report = await api.reconcile();
    } catch (error) {
      log(`the reconciler could not be run: ${(error as Error).message}`);
      return null;
    }
    const m = await metrics(server.url);
    const fn = m.functions.Reconciler;
    const ms = (fn?.durationsMs ?? []).reduce((sum, x) => sum + Math.ceil(x), 0);
    const memory = m.memoryMb.Reconciler ?? 256;
    const d = m.dynamodb;
    // Some of its requests do not ask for ConsumedCapacity (the checkpoint): DynamoDB bills every request at
    // least its minimum (a read 0.5–1 RRU, a write 1 WRU), so each counts at least that.
    const count = (ops: string[]) => ops.reduce((n, op) => n + (d.requests[op] ?? 0), 0);
    const readUnits = Math.max(
      d.readUnits,
      count(["GetItem", "BatchGetItem"]) + 0.5 * count(["Query", "Scan"]),
    );
    const writeUnits = Math.max(
      d.writeUnits + d.indexWriteUnits,
      count(["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"]),
    );
    const cost =
      (fn?.invocations ?? 0) * PRICES.lambdaPerRequest +
      (ms / 1000) * (memory / 1024) * PRICES.lambdaPerGbSecondArm +
      writeUnits * PRICES.dynamoPerWriteUnit +
      readUnits * PRICES.dynamoPerReadUnit;
    samples.push({ cost, ms, report, readUnits, writeUnits, requests: d.requests, memory });
  }
  // The first run has no checkpoint yet: the steady state is the median of the others.
  const steady = samples.slice(1).sort((a, b) => a.cost - b.cost);
  const mid = steady[Math.floor(steady.length / 2)] as (typeof steady)[number];
  const runsPerDay = 86_400 / SCALE.reconcileScheduleSeconds;
  return {
    runs: samples.length,
    report: mid.report,
    lambdaBilledMs: mid.ms,
    lambdaMemoryMb: mid.memory,
    dynamoReadUnits: mid.readUnits,
    dynamoWriteUnits: mid.writeUnits,
    dynamoRequests: mid.requests,
    costPerRunUSD: mid.cost,
    runsPerDay,
    amortizedPerEscrowUSD: (mid.cost * runsPerDay) / SCALE.escrowsPerDay,
  };
}

/** Adds the reconciler's share to each path's cost (a path that leaves it work would need its own measure: counted as a failure). */
export function withReconciler(paths: Record<PathName, PathFigures>, reconciler: ReconcilerFigures | null) {
  for (const p of Object.values(paths)) {
    const share = reconciler?.amortizedPerEscrowUSD ?? 0;
    p.costBreakdownUSD.reconciler = share;
    p.costUSD += share;
  }
}
