import { failPayment, fold } from "../domain/escrow";
import { evidenceEvent, reminderEvent } from "../domain/events";
import { UNCONFIRMED_CREATION_SECONDS } from "../domain/reconciliation";
import { reminderDue } from "../domain/reminders";
import { type EscrowState, isTerminal } from "../domain/types";
import { DAY } from "../domain/windows";
import { executionNames, INITIAL_STEP, nextStep, restartCount, stepAt } from "../domain/workflow-step";
import type { DueEscrow, EscrowRecord, EscrowStore, WaitRecord } from "../ports/escrow-store";
import type { EventPublisher } from "../ports/events";
import type { WorkflowEngine } from "../ports/workflow";
import { toEvidenceItem } from "./evidence";
import { type EscrowRef, load, transact } from "./transact";
import { announce, applyDeadline, escalateToOps } from "./workflow-tasks";

/**
 * The reconciler: every escrow whose status is not terminal has a live wait
 * or a running task behind it, or is parked in its record with its
 * continuation due. This finds, through the due index and the list of failed
 * executions (never a scan), the escrows where that is not so, and brings
 * each back to where its record says it is: it starts, signals or continues
 * the workflow from the record and publishes owed events. It never decides an
 * outcome itself (a parked wait's deadline is applied by the same use case as
 * a timed-out wait's).
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
}

export interface ReconcileReport {
  looked: number;
  started: number;
  signalled: number;
  continued: number;
  restarted: number;
  published: number;
  escalated: number;
  reminded: number;
  /** Creations never confirmed (answered 503, never retried), let go after the idempotency window. */
  cancelled: number;
  failed: number;
}

/** Restarts in a row at one version of the record before the escrow goes to ops. */
export const MAX_RESTARTS = 3;
/** Escrows one run looks at, at most (the next run takes the rest). */
const BATCH = 200;
/** The first run (no checkpoint yet) looks for failed executions this far back. */
const FIRST_RUN_LOOKS_BACK_MS = DAY * 1000;
/** Failed executions are looked for since the last run, less this overlap. */
const OVERLAP_MS = 10 * 60_000;

/**
 * Hands the workflow the step the record dictates, where it can without the
 * reconciler: signal a live wait, or start the continuation of a parked one.
 * True when the workflow has it (or needs nothing); false when only the
 * reconciler can tell (the wait's token is gone).
 */
export async function continueWorkflow(
  deps: Pick<ReconcileDeps, "store" | "workflow" | "now">,
  record: EscrowRecord,
  wait?: WaitRecord | null,
): Promise<boolean> {
  const { tenantId, id } = record.terms;
  const w = wait === undefined ? await deps.store.getWait(tenantId, id) : wait;
  if (!w) return true; // no wait has begun: the first wait catches up from the record
  const step = nextStep(record.terms, record.history, w.seenVersion, deps.now());
  if (!step) return true;
  if (w.parked) {
    // The execution may not have ended yet: its token still works.
    if (w.token && (await deps.workflow.signal(w.token, step))) return true;
    const name = executionNames.afterPark(id, w.seenVersion);
    await deps.workflow.start({ tenantId, escrowId: id, name, step });
    // The wait is no longer parked: the continuation runs it (a later wait of its own replaces this).
    await deps.store.putWait(tenantId, id, { ...w, token: null, parked: false, execution: name, due: null });
    return true;
  }
  if (w.token && (await deps.workflow.signal(w.token, step))) return true;
  return false;
}

export async function reconcile(deps: ReconcileDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = {
    looked: 0,
    started: 0,
    signalled: 0,
    continued: 0,
    restarted: 0,
    published: 0,
    escalated: 0,
    reminded: 0,
    cancelled: 0,
    failed: 0,
  };
  const startedAt = deps.now();
  const checkpoint = await deps.store.getCheckpoint();

  // 1. Executions that failed (a step still failed after its retries) since the last run.
  const since = new Date(
    (checkpoint ? Date.parse(checkpoint) : startedAt.getTime() - FIRST_RUN_LOOKS_BACK_MS) - OVERLAP_MS,
  );
  for (const failed of await deps.workflow.stoppedSince(since)) {
    report.looked++;
    try {
      await restart(deps, { tenantId: failed.tenantId, escrowId: failed.escrowId }, failed.name, report);
    } catch (error) {
      report.failed++;
      console.warn(`reconcile: restarting ${failed.name} failed`, error);
    }
  }

  // 2. Escrows the record says should have moved on by now.
  for (const ref of await deps.store.listDue(startedAt.toISOString(), BATCH)) {
    report.looked++;
    try {
      await reconcileDue(deps, ref, startedAt, report);
    } catch (error) {
      report.failed++;
      console.warn(`reconcile: ${ref.escrowId} failed`, error);
    }
  }
  await deps.store.putCheckpoint(startedAt.toISOString());
  return report;
}

async function reconcileDue(deps: ReconcileDeps, ref: DueEscrow, readAt: Date, report: ReconcileReport) {
  const record = await load(deps, ref);
  const wait = await deps.store.getWait(ref.tenantId, ref.escrowId);
  const state = fold(record.terms, record.history);
  const now = deps.now();
  const latest = record.history[record.history.length - 1]?.v ?? 1;

  // Owed events: from the first a wait could not publish, and (a terminal escrow is marked due only
  // when announcing its outcome failed) the terminal one.
  const owed = owedVersions(wait);
  if (isTerminal(state.status) && ref.items.includes("escrow")) owed.push(latest);
  await publishSteps(deps, record, owed, report);
  if (ref.items.includes("evidence")) await publishOwedEvidence(deps, record, report);
  if (wait) await remind(deps, ref, state, wait, now, report);

  if (!isTerminal(state.status)) {
    if (!wait) {
      // Taking the hold: the first execution must exist (its start may have been refused).
      const status = await deps.workflow.status(executionNames.first(ref.escrowId));
      if (status === null && unconfirmed(state, now)) {
        // Never started, and no retry of its key came within the idempotency window: let it go.
        await dropUnconfirmedCreation(deps, ref);
        report.cancelled++;
      } else if (status === null) {
        await deps.workflow.start({ ...ref, name: executionNames.first(ref.escrowId), step: INITIAL_STEP });
        report.started++;
      }
    } else if (wait.parked && !nextStep(record.terms, record.history, wait.seenVersion, now)) {
      // A parked wait whose deadline has come: apply it as a timed-out wait would, then continue.
      if (state.deadline && Date.parse(state.deadline) <= now.getTime()) {
        await applyDeadline(deps, { ...ref, seenVersion: wait.seenVersion });
        await continueWorkflow(deps, await load(deps, ref), wait);
        report.continued++;
      }
    } else if (await continueWorkflow(deps, record, wait)) {
      report.signalled++;
    } else if ((await deps.workflow.status(wait.execution)) !== "RUNNING") {
      await restart(deps, ref, wait.execution, report);
    }
  }
  await deps.store.clearDue(ref.tenantId, ref.escrowId, readAt.toISOString());
}

/** A new execution continuing the escrow from its record after `failedName` stopped. */
async function restart(deps: ReconcileDeps, ref: EscrowRef, failedName: string, report: ReconcileReport) {
  const record = await load(deps, ref);
  const wait = await deps.store.getWait(ref.tenantId, ref.escrowId);
  // Only the escrow's current execution is restarted (an older one may have failed after it moved on).
  const current = wait ? (wait.parked ? null : wait.execution) : executionNames.first(ref.escrowId);
  if (current !== null && current !== failedName && !failedName.startsWith(`${ref.escrowId}-r`)) return;
  const now = deps.now();
  const latest = record.history[record.history.length - 1]?.v ?? 1;
  const state = fold(record.terms, record.history);
  const name = executionNames.restart(ref.escrowId, failedName, latest);
  // Seen before (a run's look-back overlaps the last): its restart exists, nothing more to do.
  if ((await deps.workflow.status(name)) !== null) return;
  // What the failed execution may not have announced (since its last wait): announced first, so the
  // restart may go straight to the step the record is at (a wait needs the store; a release does not).
  const unannounced = [];
  for (let v = (wait?.published ?? 0) + 1; v <= latest; v++) unannounced.push(v);
  await publishSteps(deps, record, [...owedVersions(wait), ...unannounced], report);
  if (isTerminal(state.status)) {
    // Nothing to restart; remember what is announced, so the next run's look-back publishes nothing.
    if (unannounced.length > 0 || wait?.owedFrom)
      await deps.store.putWait(ref.tenantId, ref.escrowId, {
        token: null,
        seenVersion: latest,
        since: now.toISOString(),
        execution: failedName,
        parked: false,
        published: latest,
        owedFrom: null,
        due: null,
        reminded: null,
      });
    return;
  }
  // The same step keeps failing with no progress: no retry decides this, ops do.
  if (restartCount(failedName) >= MAX_RESTARTS && failedName.startsWith(`${ref.escrowId}-r${latest}x`)) {
    await escalateToOps(deps, {
      ...ref,
      error: "WorkflowFailing",
      cause: `${failedName} failed after ${MAX_RESTARTS} restarts at version ${latest}`,
    });
    report.escalated++;
    return;
  }
  // From the step the record is at.
  const step = latest === 1 ? INITIAL_STEP : stepAt(record.terms, record.history, latest, now);
  if (
    await deps.workflow.start({
      ...ref,
      name,
      step,
    })
  )
    report.restarted++;
}

const unconfirmed = (state: EscrowState, now: Date) =>
  state.status === "PENDING_FUNDS" &&
  !state.pending &&
  now.getTime() >= Date.parse(state.createdAt) + UNCONFIRMED_CREATION_SECONDS * 1000;

/** CANCELLED with `creation_unconfirmed` (nothing was ever held), announced like any cancellation. */
async function dropUnconfirmedCreation(deps: ReconcileDeps, ref: EscrowRef) {
  const result = await transact<null>(deps, ref, (state) =>
    state.status === "PENDING_FUNDS" && !state.pending
      ? { append: failPayment(state, "creation_unconfirmed") }
      : { done: null },
  );
  if ("done" in result) return;
  await announce(deps, ref, stepAt(result.record.terms, result.record.history, result.entry.v, deps.now()));
}

/**
 * The current wait's reminder, when its time has come: published once per
 * deadline (the wait remembers which), and the wait's mark moves on to what is
 * due next (a parked wait's deadline). A wait that ended has no reminder: it
 * is computed from the escrow as it stands.
 */
async function remind(
  deps: ReconcileDeps,
  ref: EscrowRef,
  state: EscrowState,
  wait: WaitRecord,
  now: Date,
  report: ReconcileReport,
) {
  const due = reminderDue(state, now, wait.reminded, deps.reminderEarlySeconds);
  if (!due) return;
  await deps.events.publish(reminderEvent(state, due.reminder, due.at));
  report.reminded++;
  await deps.store.putWait(ref.tenantId, ref.escrowId, {
    ...wait,
    reminded: due.reminder.deadline,
    due: wait.parked ? state.deadline : null,
  });
}

/** Evidence whose event the API could not publish: published now, with the id it would have had. */
async function publishOwedEvidence(deps: ReconcileDeps, record: EscrowRecord, report: ReconcileReport) {
  const { tenantId, id } = record.terms;
  for (const e of await deps.store.listEvidence(tenantId, id)) {
    if (e.due === null || e.due > deps.now().toISOString()) continue;
    await deps.events.publish(
      evidenceEvent(fold(record.terms, record.history, e.version), toEvidenceItem(e)),
    );
    await deps.store.evidencePublished(tenantId, id, e);
    report.published++;
  }
}

const owedVersions = (wait: WaitRecord | null): number[] => {
  const owed: number[] = [];
  if (wait?.owedFrom) for (let v = wait.owedFrom; v <= wait.seenVersion; v++) owed.push(v);
  return owed;
};

/** Publishes what the steps at these versions announce (the same event ids as the first time). */
async function publishSteps(
  deps: ReconcileDeps,
  record: EscrowRecord,
  versions: number[],
  report: ReconcileReport,
) {
  for (const v of new Set(versions)) {
    const step = stepAt(record.terms, record.history, v, deps.now());
    if (step.alert) await deps.events.alert(step.alert);
    if (step.event) {
      await deps.events.publish(step.event);
      report.published++;
    }
  }
}
