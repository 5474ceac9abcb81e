import { fold, toView } from "../domain/escrow";
import { evidenceEvent, reminderEvent } from "../domain/events";
import {
  DEPENDENCY_ALERT_AFTER_SECONDS,
  dueOf,
  type EscrowMarks,
  expectedBy,
  NO_MARKS,
  UNCONFIRMED_CREATION_SECONDS,
} from "../domain/reconciliation";
import { reminderDue } from "../domain/reminders";
import { type EscrowState, isTerminal } from "../domain/types";
import { addSeconds } from "../domain/windows";
import {
  executionNames,
  INITIAL_STEP,
  type OpsAlert,
  RESTARTS_PER_VERSION,
  stepAt,
} from "../domain/workflow-step";
import type { DueEscrow, EscrowRecord, EscrowStore, WaitRecord } from "../ports/escrow-store";
import type { EventPublisher } from "../ports/events";
import type { WorkflowEngine } from "../ports/workflow";
import { announceSteps } from "./announce";
import { toEvidenceItem } from "./evidence";
import { continueFromRecord } from "./workflow-handoff";
import { escalateToOps } from "./workflow-tasks";

/**
 * The reconciler (ARCHITECTURE.md v1.2 decision 1): the record is all it
 * reads. Every escrow that is not terminal carries exactly one due mark — the
 * time by which its record must have moved, or a reminder's, or now when
 * something is owed — in a sparse, sharded index. Each run pages through the
 * marks that have come due, every shard at once, with bounded work; for each
 * escrow it asks Step Functions about the one execution its record names and
 * starts, signals, continues or leaves it; publishes what is owed; and moves
 * the mark on (a mark that is handled moves, so the index is its own
 * checkpoint and nothing can be skipped). It never lists executions and never
 * decides an outcome itself.
 */

export interface ReconcileDeps {
  store: EscrowStore;
  workflow: WorkflowEngine;
  events: EventPublisher;
  now: () => Date;
  /**
   * How far ahead of its time a reminder may go out: the period between runs
   * in AWS, so a reminder whose lead is shorter than the period is sent early
   * rather than fall between two runs; 0 locally, where the service wakes the
   * reconciler when a mark comes due.
   */
  reminderEarlySeconds?: number;
  /** Seconds between runs: a mark that could not be handled comes due again after this. */
  periodSeconds?: number;
}

export interface ReconcileOptions {
  /** Stop starting pages after this many milliseconds (the rest is for the next run). */
  budgetMs?: number;
  /** Marks read per page of a shard. */
  pageSize?: number;
  /** Escrows visited at once per shard. */
  concurrency?: number;
}

export interface ReconcileReport {
  visited: number;
  started: number;
  signalled: number;
  continued: number;
  restarted: number;
  published: number;
  reminded: number;
  alerted: number;
  /** Creations never confirmed (answered 503, never retried), removed after the idempotency window. */
  dropped: number;
  escalated: number;
  failed: number;
  /** Pages read, over all shards. */
  pages: number;
  /** Whether marks that had come due were left for the next run (the budget ran out). */
  backlog: boolean;
  /** How late the most overdue mark visited was, in seconds (a backlog delays, never drops). */
  maxLagSeconds: number;
}

/** A run's defaults: 8 escrows at once per shard (16 shards: 128 visits in flight), pages of 100 marks. */
export const RECONCILE_DEFAULTS = { budgetMs: 20_000, pageSize: 100, concurrency: 8 };
/** Left of the reconciler's Lambda time when a run stops starting pages (the rest of the marks wait a period). */
export const RECONCILE_RESERVE_MS = 5_000;
/** AWS's default reconciliation period (the stack's `reconcileSeconds`). */
const DEFAULT_PERIOD_SECONDS = 300;

export async function reconcile(
  deps: ReconcileDeps,
  options: ReconcileOptions = {},
): Promise<ReconcileReport> {
  const { budgetMs, pageSize, concurrency } = { ...RECONCILE_DEFAULTS, ...options };
  const report: ReconcileReport = {
    visited: 0,
    started: 0,
    signalled: 0,
    continued: 0,
    restarted: 0,
    published: 0,
    reminded: 0,
    alerted: 0,
    dropped: 0,
    escalated: 0,
    failed: 0,
    pages: 0,
    backlog: false,
    maxLagSeconds: 0,
  };
  const startedAt = Date.now();
  const now = deps.now().toISOString();
  await Promise.all(
    Array.from({ length: deps.store.marks.dueShards }, async (_, shard) => {
      let start: string | null = null;
      do {
        // Every run reads at least a page of every shard (a run that starts late still moves each shard
        // on); after that, no page is started once the budget is spent.
        if (start !== null && Date.now() - startedAt >= budgetMs) {
          report.backlog = true;
          return;
        }
        const page = await deps.store.marks.listDue(shard, now, pageSize, start);
        report.pages++;
        await inParallel(page.items, concurrency, async (due) => {
          report.visited++;
          report.maxLagSeconds = Math.max(
            report.maxLagSeconds,
            (Date.parse(now) - Date.parse(due.due)) / 1000,
          );
          try {
            await visit(deps, due, report);
          } catch (error) {
            report.failed++;
            console.warn(`reconcile: ${due.escrowId} failed`, error);
          }
        });
        start = page.next;
      } while (start);
    }),
  );
  return report;
}

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/** One due escrow, from its record. */
async function visit(deps: ReconcileDeps, ref: DueEscrow, report: ReconcileReport): Promise<void> {
  const record = await deps.store.escrows.get(ref.tenantId, ref.escrowId);
  if (!record) return;
  const marks = record.marks ?? NO_MARKS;
  const state = fold(record.terms, record.history);
  const wait = await deps.store.waits.get(ref.tenantId, ref.escrowId);
  const now = deps.now();
  const change: Partial<EscrowMarks> = {};
  const period = deps.periodSeconds ?? DEFAULT_PERIOD_SECONDS;
  let retryAt: string | null = null;
  const again = () => {
    retryAt = addSeconds(now.toISOString(), period);
  };

  // A creation no answer has confirmed: started (a retry of its key, or the API's start) or let go.
  if (marks.provisional) {
    if ((await deps.workflow.status(executionNames.first(ref.escrowId))) === null) {
      const letGo = Date.parse(record.terms.createdAt) + UNCONFIRMED_CREATION_SECONDS * 1000;
      if (now.getTime() >= letGo) {
        if (await deps.store.marks.dropUnconfirmed(ref.tenantId, ref.escrowId)) report.dropped++;
      } else await setMarks(deps, record, { due: new Date(letGo).toISOString() });
      return;
    }
    change.provisional = false;
  }

  // What is owed: the workflow's events from the wait's watermark on, and evidence events.
  if (marks.owed) {
    const latest = record.history[record.history.length - 1]?.v ?? 1;
    const from = wait?.published ?? 0;
    const published = await announceSteps(deps, ref, record, from, latest);
    report.published += published - from;
    if (published > from && wait) await deps.store.waits.setPublished(ref.tenantId, ref.escrowId, published);
    if (published === latest) change.owed = false;
    else again();
  }
  if (marks.evidenceOwed) {
    if (await publishOwedEvidence(deps, record, report)) change.evidenceOwed = false;
    else again();
  }

  // The current wait's reminder, once per deadline, from the record as it stands.
  const reminder = reminderDue(state, now, marks.reminded, deps.reminderEarlySeconds);
  if (reminder) {
    await deps.events.publish(reminderEvent(state, reminder.reminder, reminder.at));
    change.reminded = reminder.reminder.deadline;
    report.reminded++;
  }

  // A stalled step that moved since ops were told: they are told it recovered.
  if (marks.stall && (state.version > marks.stall.version || isTerminal(state.status))) {
    if (marks.stall.alerted) {
      await deps.events.alert(
        dependencyAlert("escrow.dependency_recovered", record, state, marks.stall, now),
      );
      report.alerted++;
    }
    change.stall = null;
  }

  let stalledFor = 0;
  // Step Functions is asked only when the record is overdue or a hand-over was refused: a visit for a
  // reminder alone reads the record and nothing else (DescribeExecution's quota is a few per second).
  const expected = expectedBy(state, marks);
  const mustAsk = marks.requested || expected === null || Date.parse(expected) <= now.getTime();
  if (isTerminal(state.status)) change.requested = false;
  else if (mustAsk) {
    try {
      const outcome = await drive(deps, record, state, marks, wait, report);
      if (outcome === "moved") return; // this visit wrote to the record: that write set its mark
      // The execution the record names runs and has what it needs, or was just handed it.
      change.requested = false;
    } catch (error) {
      // A dependency refused (Step Functions, DynamoDB): try again next run.
      console.warn(`reconcile: ${ref.escrowId} could not be carried on`, error);
      again();
    }
    // Overdue: the record should have moved by now. Look again next run, and tell ops if it lasts.
    stalledFor = expected ? (now.getTime() - Date.parse(expected)) / 1000 : 0;
    if (stalledFor > 0) again();
  }

  // A step that has not moved for 15 minutes: ops are told, once per escrow and outage.
  const stall = change.stall === null ? null : marks.stall;
  if (stalledFor >= DEPENDENCY_ALERT_AFTER_SECONDS && !stall?.alerted) {
    const mark = {
      version: state.version,
      since: expectedBy(state, marks) ?? now.toISOString(),
      alerted: true,
    };
    await deps.events.alert(dependencyAlert("escrow.dependency_failing", record, state, mark, now));
    report.alerted++;
    change.stall = mark;
  }

  const after: EscrowMarks = { ...marks, ...change };
  const natural = dueOf(state, { ...after, stall: null }, now.toISOString(), deps.reminderEarlySeconds);
  const due = earliestFuture(natural, retryAt, now);
  await setMarks(deps, record, { ...change, due });
}

/** What is due next: the natural mark if it is ahead, else the retry (a mark never stays in the past). */
function earliestFuture(natural: string | null, retryAt: string | null, now: Date): string | null {
  const ahead = natural !== null && Date.parse(natural) > now.getTime() ? natural : null;
  if (ahead && retryAt) return ahead < retryAt ? ahead : retryAt;
  return ahead ?? retryAt ?? (natural !== null ? addSeconds(now.toISOString(), 60) : null);
}

async function setMarks(deps: ReconcileDeps, record: EscrowRecord, change: Partial<EscrowMarks>) {
  const marks = record.marks ?? NO_MARKS;
  const version = record.history[record.history.length - 1]?.v ?? 1;
  // False when the record moved meanwhile: its own write set its mark, and what this visit cleared is
  // looked at again (a repeated publish carries the same id).
  await deps.store.marks.set(record.terms.tenantId, record.terms.id, { version, mv: marks.mv }, change);
}

/**
 * Hands the workflow what the record dictates: "handed" (signalled or
 * started), "ok" (the execution the record names runs and has what it needs —
 * a task, perhaps retrying, or a wait until its deadline — or the escrow
 * waits for ops, or a parked wait's deadline has not come), or "moved" (this
 * visit wrote to the record: a continuation, a restart or an escalation).
 */
async function drive(
  deps: ReconcileDeps,
  record: EscrowRecord,
  state: EscrowState,
  marks: EscrowMarks,
  wait: WaitRecord | null,
  report: ReconcileReport,
): Promise<"handed" | "ok" | "moved"> {
  const id = record.terms.id;
  const latest = record.history[record.history.length - 1]?.v ?? 1;
  const name = marks.execution ?? wait?.execution ?? executionNames.first(id);
  const status = await deps.workflow.status(name);
  if (status === "RUNNING" || (status !== null && wait?.parked)) {
    // Parked for ops: their resolution or resume continues it.
    if (wait?.parked && state.attention) return "ok";
    // A step its wait's token could not be handed (the token is stale) it reads from the record at its
    // next wait or task; a parked wait's continuation is started (its execution may still be ending).
    const handed = await continueFromRecord(deps, record, wait);
    if (handed === "continued") report.continued++;
    if (handed === "signalled") report.signalled++;
    return handed === "continued" ? "moved" : handed === "signalled" ? "handed" : "ok";
  }
  if (status === null) {
    // Never started: the API's start was refused, or the record names an execution whose start failed.
    const step = latest === 1 ? INITIAL_STEP : stepOfLatest(record, deps.now());
    await deps.workflow.start({ ...refOf(record), name, step });
    if (name.startsWith(`${id}-r`)) report.restarted++;
    else if (name.startsWith(`${id}-p`)) report.continued++;
    else report.started++;
    return "handed";
  }
  // The execution the record names ended without finishing the escrow: restart from the record — up to
  // RESTARTS_PER_VERSION times at one version (then it is for ops).
  const restarts = executionNames.restartOf(id, latest, name);
  if (restarts >= RESTARTS_PER_VERSION) {
    await escalateToOps(deps, {
      ...refOf(record),
      error: "WorkflowFailing",
      cause: `execution ${name} ended (${status}) at version ${latest} after ${restarts} restarts`,
    });
    report.escalated++;
    return "moved";
  }
  const restart = executionNames.restart(id, latest, restarts + 1);
  // Recorded as the escrow's execution before it starts: an older one that runs on finds itself superseded.
  const read = { version: latest, mv: marks.mv };
  if (!(await deps.store.marks.set(record.terms.tenantId, id, read, { execution: restart }))) return "ok";
  await deps.workflow.start({
    ...refOf(record),
    name: restart,
    step: latest === 1 ? INITIAL_STEP : stepOfLatest(record, deps.now()),
  });
  report.restarted++;
  return "moved";
}

const refOf = (record: EscrowRecord) => ({ tenantId: record.terms.tenantId, escrowId: record.terms.id });

function stepOfLatest(record: EscrowRecord, now: Date) {
  const latest = record.history[record.history.length - 1]?.v ?? 1;
  return stepAt(record.terms, record.history, latest, now);
}

/** The escrow's alert about a step that stalled (or recovered): stable per escrow and stalled version. */
function dependencyAlert(
  type: "escrow.dependency_failing" | "escrow.dependency_recovered",
  record: EscrowRecord,
  state: EscrowState,
  stall: { version: number; since: string },
  now: Date,
): OpsAlert {
  const suffix = type === "escrow.dependency_failing" ? "f" : "r";
  return {
    type,
    id: `alr_${record.terms.id.slice(4)}_${suffix}${stall.version}`,
    occurredAt: now.toISOString(),
    tenantId: record.terms.tenantId,
    escrowId: record.terms.id,
    escrow: toView(state),
    status: state.status,
    reason:
      type === "escrow.dependency_failing"
        ? `The escrow has not moved since ${stall.since} (version ${stall.version}): a dependency keeps failing; it is retried until it answers.`
        : `The escrow moved on (version ${state.version}) after its dependency recovered.`,
    at: now.toISOString(),
  };
}

/** Evidence whose event the API could not publish: published now, with the id it would have had. */
async function publishOwedEvidence(
  deps: ReconcileDeps,
  record: EscrowRecord,
  report: ReconcileReport,
): Promise<boolean> {
  const { tenantId, id } = record.terms;
  let all = true;
  for (const e of await deps.store.evidence.list(tenantId, id)) {
    if (!e.unpublished) continue;
    try {
      await deps.events.publish(
        evidenceEvent(fold(record.terms, record.history, e.version), toEvidenceItem(e)),
      );
      await deps.store.evidence.published(tenantId, id, e);
      report.published++;
    } catch {
      all = false;
    }
  }
  return all;
}
