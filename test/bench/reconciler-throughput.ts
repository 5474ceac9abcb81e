import { spawnSync } from "node:child_process";
import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import { dynamoStore } from "../../functions/adapters/dynamo-store";
import { dueShardOf, escrowKey } from "../../functions/adapters/table-schema";
import { createEscrow } from "../../functions/app/escrow-service";
import { type ReconcileReport, reconcile } from "../../functions/app/reconcile";
import { beginWait, holdFunds } from "../../functions/app/workflow-tasks";
import type { EscrowEvent } from "../../functions/domain/events";
import { escrowIdFor } from "../../functions/domain/ids";
import type { OpsAlert, WorkflowStep } from "../../functions/domain/workflow-step";
import type { EventPublisher } from "../../functions/ports/events";
import type { ExecutionStatus, WorkflowEngine, WorkflowStart } from "../../functions/ports/workflow";
import { startLocalDynamo } from "../../infra/local/dynamo/backends";
import { TestPayments } from "../app/fakes";
import { keyed } from "../app/fixture";
import { createEscrowTable } from "../support/dynalite";
import { order } from "../support/orders";
import { BACKLOG } from "./settings";
import { RECONCILER } from "./stack-config";
import { type Check, log, median, round } from "./util";

/**
 * How fast one reconciler invocation works through due marks (issue #16,
 * "Scale, measured"): the real `reconcile` (functions/app/reconcile.ts) and
 * the real DynamoDB store against AWS's DynamoDB Local, over a backlog of
 * seeded due marks — reminders that have come due, and events owed after an
 * SNS outage. Step Functions and SNS are stand-ins that answer after AWS-like
 * latencies (`AWS_LATENCY_MS`: the reconciler waits on them, it does not
 * compute with them), so what is measured is the reconciler's own work and
 * the store's. Also measured: the CPU the invocation spends per visit (a
 * Lambda of 256 MB has about 0.145 of a vCPU), and a backlog worked off run
 * by run with a small budget — every reminder and owed event published once,
 * late by the runs it waited.
 */
const AWS_LATENCY_MS = { describeExecution: 25, publish: 20, signal: 25, start: 40 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Step Functions as the reconciler sees a healthy cell: every execution it asks about is running. */
class LatentWorkflow implements WorkflowEngine {
  describes = 0;
  async start(_: WorkflowStart): Promise<boolean> {
    await sleep(AWS_LATENCY_MS.start);
    return true;
  }
  async signal(_: string, __: WorkflowStep): Promise<boolean> {
    await sleep(AWS_LATENCY_MS.signal);
    return true;
  }
  async status(_: string): Promise<ExecutionStatus | null> {
    this.describes++;
    await sleep(AWS_LATENCY_MS.describeExecution);
    return "RUNNING";
  }
  executionArn(name: string): string {
    return `arn:aws:states:us-east-1:000000000000:execution:escrow:${name}`;
  }
}

/** SNS after its latency; keeps what was published, per escrow, with the clock it went out at. */
class LatentPublisher implements EventPublisher {
  fails = false;
  published: { escrowId: string; type: string; id: string; at: number }[] = [];
  constructor(private readonly clock: () => number) {}
  async publish(event: EscrowEvent): Promise<void> {
    if (this.fails) throw Object.assign(new Error("SNS is unavailable"), { name: "InternalErrorException" });
    await sleep(AWS_LATENCY_MS.publish);
    this.published.push({ escrowId: event.escrowId, type: event.type, id: event.id, at: this.clock() });
  }
  async alert(_: OpsAlert): Promise<void> {
    await sleep(AWS_LATENCY_MS.publish);
  }
}

const DAY_MS = 86_400_000;
const T0 = Date.parse("2026-12-01T00:00:00.000Z");

/** The two kinds of escrow the backlog is made of: funded and waiting for delivery, one of them with funded owed. */
async function templates(client: DynamoDBClient, table: string) {
  const store = dynamoStore(client, table);
  const events = new LatentPublisher(() => T0);
  const deps = {
    store,
    payments: new TestPayments(),
    events,
    workflow: new LatentWorkflow(),
    now: () => new Date(T0),
  };
  const made: string[] = [];
  for (const owed of [false, true]) {
    const body = order({ buyerId: "u-b", sellerId: "u-s" });
    const { escrow } = await createEscrow(deps, "bench", body, keyed(`template-${owed}`, body));
    const ref = { tenantId: "bench", escrowId: escrow.id as string };
    await holdFunds(deps, { ...ref, execution: ref.escrowId });
    events.fails = owed; // SNS down when the wait announces funded: the event is owed
    await beginWait(deps, {
      ...ref,
      seenVersion: 2,
      taskToken: `t-${ref.escrowId}`,
      execution: ref.escrowId,
    });
    events.fails = false;
    made.push(ref.escrowId);
  }
  const items: Record<string, AttributeValue>[][] = [];
  for (const id of made) {
    const out = await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: "PK = :pk",
        ExpressionAttributeValues: { ":pk": { S: escrowKey("bench", id).PK } },
      }),
    );
    items.push(out.Items ?? []);
  }
  return {
    reminder: { id: made[0] as string, items: items[0] ?? [] },
    owed: { id: made[1] as string, items: items[1] ?? [] },
  };
}

/** `count` copies of the templates' items under new escrow ids (one in five with an event owed). */
async function seed(client: DynamoDBClient, table: string, from: number, count: number) {
  const t = await templates(client, table);
  const ids: string[] = [];
  const puts: Record<string, AttributeValue>[] = [];
  for (let i = from; i < from + count; i++) {
    const template = i % 5 === 0 ? t.owed : t.reminder;
    const id = escrowIdFor("bench", `seed-${i}`);
    ids.push(id);
    for (const item of template.items) {
      const copy = JSON.parse(JSON.stringify(item).split(template.id).join(id)) as Record<
        string,
        AttributeValue
      >;
      if (copy.dueShard) copy.dueShard = { S: dueShardOf(id) };
      puts.push(copy);
    }
  }
  for (let i = 0; i < puts.length; i += 25)
    await client.send(
      new BatchWriteItemCommand({
        RequestItems: { [table]: puts.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) },
      }),
    );
  return ids;
}

export interface ThroughputFigures {
  backend: string;
  backlog: number;
  shards: number;
  concurrencyPerShard: number;
  pageSize: number;
  awsLatencyMs: typeof AWS_LATENCY_MS;
  /** Runs over a fresh backlog, each with a budget large enough to finish it. */
  runs: {
    visited: number;
    seconds: number;
    visitsPerSecond: number;
    cpuMsPerVisit: number;
    /** DescribeExecution calls per visit (a reminder or an owed event alone asks none). */
    describesPerVisit: number;
  }[];
  visitsPerSecond: number;
  cpuMsPerVisit: number;
  /** What the CPU of the reconciler's Lambda allows (memory / 1,769 MB of a vCPU ÷ CPU per visit). */
  cpuBoundVisitsPerSecond: number;
  lambda: { memoryMb: number; timeoutSeconds: number; budgetSeconds: number; periodSeconds: number };
  /** Visits a day one cell's reconciler can make: min(measured, CPU-bound) × budget × runs a day. */
  dailyCapacity: number;
  /**
   * A backlog worked off run by run (a small budget and small pages): published once each, and how late;
   * `maxOverrunMs` is the longest a run went on past its budget (the pages in flight).
   */
  backlogDrill: {
    budgetMs: number;
    pageSize: number;
    runs: number;
    remindersDue: number;
    remindersPublished: number;
    remindersTwice: number;
    owedDue: number;
    owedPublished: number;
    maxDelaySeconds: number;
    maxDelayRuns: number;
    maxOverrunMs: number;
  };
}

export async function measureReconcilerThroughput(): Promise<{
  figures: ThroughputFigures | null;
  checks: Check[];
}> {
  const java = spawnSync("java", ["-version"], { stdio: "ignore" });
  if (java.error || java.status !== 0) {
    log("the reconciler's throughput needs Java 17 (DynamoDB Local): not measured");
    return {
      figures: null,
      checks: [["reconciler daily capacity (DynamoDB Local)", "not measured: no Java", "≥ 3,000,000", false]],
    };
  }
  log(`the reconciler's throughput: ${BACKLOG} due marks in DynamoDB Local…`);
  const dynamo = await startLocalDynamo({ backend: "dynamodb-local" });
  const client = dynamo.client();
  try {
    const runs: ThroughputFigures["runs"] = [];
    // Run 0 warms the code up (a reconciler running every 5 minutes stays warm); runs 1–3 are measured.
    for (let r = 0; r <= 3; r++) {
      const table = `reconcile-bench-${r}`;
      await createEscrowTable(client, table);
      const backlog = r === 0 ? 500 : BACKLOG;
      await seed(client, table, 0, backlog);
      const store = dynamoStore(client, table);
      const clock = T0 + 6 * DAY_MS + 1000; // every delivery reminder has come due (a day before the deadline)
      const events = new LatentPublisher(() => clock);
      const workflow = new LatentWorkflow();
      const deps = {
        store,
        workflow,
        events,
        now: () => new Date(clock),
        periodSeconds: RECONCILER.periodSeconds,
        reminderEarlySeconds: RECONCILER.periodSeconds,
      };
      const cpu = process.cpuUsage();
      const started = performance.now();
      const report = await reconcile(deps, { budgetMs: 600_000 });
      const seconds = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      if (report.visited < backlog || report.backlog)
        throw new Error(`the run visited ${report.visited} of ${backlog} marks: ${JSON.stringify(report)}`);
      log(`  run ${r}: ${report.visited} visits in ${seconds.toFixed(1)} s${r === 0 ? " (warm-up)" : ""}`);
      if (r === 0) continue;
      runs.push({
        visited: report.visited,
        seconds: round(seconds, 2),
        visitsPerSecond: round(report.visited / seconds, 1),
        cpuMsPerVisit: round((used.user + used.system) / 1000 / report.visited, 3),
        describesPerVisit: round(workflow.describes / report.visited, 3),
      });
    }
    const visitsPerSecond = round(median(runs.map((r) => r.visitsPerSecond)), 1);
    const cpuMsPerVisit = round(median(runs.map((r) => r.cpuMsPerVisit)), 3);
    const vcpu = RECONCILER.memoryMb / 1769;
    const cpuBoundVisitsPerSecond = round(vcpu / (cpuMsPerVisit / 1000), 1);
    const timeoutSeconds = RECONCILER.timeoutSeconds;
    const budgetSeconds = timeoutSeconds - RECONCILER.reserveSeconds;
    const runsPerDay = 86_400 / RECONCILER.periodSeconds;
    const dailyCapacity = Math.floor(
      Math.min(visitsPerSecond, cpuBoundVisitsPerSecond) * budgetSeconds * runsPerDay,
    );
    const backlogDrill = await drill(client);
    const figures: ThroughputFigures = {
      backend: "dynamodb-local",
      backlog: BACKLOG,
      shards: RECONCILER.shards,
      concurrencyPerShard: RECONCILER.concurrencyPerShard,
      pageSize: RECONCILER.pageSize,
      awsLatencyMs: AWS_LATENCY_MS,
      runs,
      visitsPerSecond,
      cpuMsPerVisit,
      cpuBoundVisitsPerSecond,
      lambda: {
        memoryMb: RECONCILER.memoryMb,
        timeoutSeconds,
        budgetSeconds,
        periodSeconds: RECONCILER.periodSeconds,
      },
      dailyCapacity,
      backlogDrill,
    };
    const d = backlogDrill;
    return {
      figures,
      checks: [
        [
          "reconciler daily capacity per cell (visits)",
          dailyCapacity,
          "≥ 3,000,000",
          dailyCapacity >= 3_000_000,
        ],
        [
          "reconciler backlog: reminders and owed events published exactly once",
          `${d.remindersPublished}/${d.remindersDue} reminders (${d.remindersTwice} twice), ${d.owedPublished}/${d.owedDue} owed`,
          "all, once",
          d.remindersPublished === d.remindersDue && d.remindersTwice === 0 && d.owedPublished === d.owedDue,
        ],
        [
          "reconciler run past its budget (ms)",
          d.maxOverrunMs,
          `≤ ${RECONCILER.reserveSeconds * 1000} (the reserve before the Lambda timeout)`,
          d.maxOverrunMs <= RECONCILER.reserveSeconds * 1000,
        ],
      ],
    };
  } finally {
    client.destroy();
    await dynamo.close();
  }
}

/**
 * A backlog worked off with a small budget per run, the clock moving one
 * period between runs: how late the last reminder and owed event went out,
 * and that each went out once.
 */
async function drill(client: DynamoDBClient): Promise<ThroughputFigures["backlogDrill"]> {
  const table = "reconcile-bench-drill";
  await createEscrowTable(client, table);
  const ids = await seed(client, table, 0, BACKLOG);
  const store = dynamoStore(client, table);
  const dueAt = T0 + 6 * DAY_MS; // the reminders' time; the owed events have been due since T0
  let clock = dueAt + 1000;
  const events = new LatentPublisher(() => clock);
  const deps = {
    store,
    workflow: new LatentWorkflow(),
    events,
    now: () => new Date(clock),
    periodSeconds: RECONCILER.periodSeconds,
    reminderEarlySeconds: 0,
  };
  // Small pages and a small budget, so that the backlog takes several runs.
  const budgetMs = 1000;
  const pageSize = 10;
  let runs = 0;
  let maxOverrunMs = 0;
  let report: ReconcileReport;
  do {
    const started = performance.now();
    report = await reconcile(deps, { budgetMs, pageSize });
    maxOverrunMs = Math.max(maxOverrunMs, performance.now() - started - budgetMs);
    runs++;
    clock += RECONCILER.periodSeconds * 1000;
  } while (report.backlog && runs < 500);
  const seeded = new Set(ids);
  const owedIds = new Set(ids.filter((_, i) => i % 5 === 0));
  const reminders = events.published.filter(
    (e) => e.type === "escrow.deadline_approaching" && seeded.has(e.escrowId),
  );
  const perEscrow = new Map<string, number>();
  for (const e of reminders) perEscrow.set(e.escrowId, (perEscrow.get(e.escrowId) ?? 0) + 1);
  const owed = events.published.filter((e) => e.type === "escrow.funded" && owedIds.has(e.escrowId));
  const lastAt = Math.max(...reminders.map((e) => e.at));
  return {
    budgetMs,
    pageSize,
    runs,
    remindersDue: ids.length,
    remindersPublished: perEscrow.size,
    remindersTwice: [...perEscrow.values()].filter((n) => n > 1).length,
    owedDue: owedIds.size,
    owedPublished: new Set(owed.map((e) => e.escrowId)).size,
    maxDelaySeconds: Math.round((lastAt - dueAt) / 1000),
    maxDelayRuns: Math.round((lastAt - (dueAt + 1000)) / (RECONCILER.periodSeconds * 1000)),
    maxOverrunMs: Math.round(maxOverrunMs),
  };
}
