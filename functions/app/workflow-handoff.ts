import { fold } from "../domain/escrow";
import { executionNames, nextStep } from "../domain/workflow-step";
import type { EscrowRecord, EscrowStore, WaitRecord } from "../ports/escrow-store";
import type { ExecutionStatus, WorkflowEngine } from "../ports/workflow";
import { load } from "./transact";
import { applyDeadline } from "./workflow-tasks";

/**
 * Claim, then signal (ARCHITECTURE.md decision 3): the record decides; this
 * hands the workflow the step the record dictates, where it can without more
 * knowledge than the record. The API calls it after an action, the
 * reconciler for an escrow whose execution runs or whose wait is parked.
 */

export interface HandoffDeps {
  store: EscrowStore;
  workflow: WorkflowEngine;
  now: () => Date;
}

/**
 * - "signalled": the live wait was ended with the first step it has not seen;
 * - "continued": the wait was parked (no execution held it) and its
 *   continuation was started — named after the version the wait had seen and
 *   recorded as the escrow's execution first, so the action and the reconciler
 *   racing start one, and an older execution that runs on finds itself
 *   superseded;
 * - "unhanded": a step could not be handed — no wait has begun (the first
 *   wait catches up from the record), the wait's token is not open any more
 *   (it ended or timed out: the workflow reads the record when it goes on, if
 *   it runs at all; the caller may ask the reconciler to make sure), or the
 *   parked wait's execution has not ended yet (a park whose signal failed is
 *   retried: that execution reads the record at its next attempt, so no second
 *   one is started beside it);
 * - "nothing": the workflow has seen every step, or the wait is parked and
 *   nothing ends it yet.
 *
 * A deadline that has passed without the wait ending is applied first, as the
 * wait's timeout would: a parked wait's, and a live one's whose timer started
 * again when its task was retried through an outage (Step Functions times each
 * attempt of a task on its own), so no outage moves a deadline.
 *
 * `executionStatus`: the status of the wait's execution, when the caller has
 * just described it (the reconciler).
 */
/** An execution ends within seconds of parking its wait; a wait parked longer ago needs no look. */
const RECENTLY_PARKED_MS = 10 * 60 * 1000;

export async function continueFromRecord(
  deps: HandoffDeps,
  record: EscrowRecord,
  wait?: WaitRecord | null,
  executionStatus?: ExecutionStatus | null,
): Promise<"signalled" | "continued" | "unhanded" | "nothing"> {
  const ref = { tenantId: record.terms.tenantId, escrowId: record.terms.id };
  const w = wait === undefined ? await deps.store.waits.get(ref.tenantId, ref.escrowId) : wait;
  if (!w) return "unhanded";
  let current = record;
  let step = nextStep(current.terms, current.history, w.seenVersion, deps.now());
  if (!step) {
    const state = fold(current.terms, current.history);
    if (state.attention || state.deadline === null || Date.parse(state.deadline) > deps.now().getTime())
      return "nothing";
    await applyDeadline(deps, { ...ref, seenVersion: w.seenVersion });
    current = await load(deps, ref);
    step = nextStep(current.terms, current.history, w.seenVersion, deps.now());
    if (!step) return "nothing";
  }
  // A parked execution may not have ended yet: its token still works.
  if (w.token && (await deps.workflow.signal(w.token, step))) return "signalled";
  if (!w.parked) return "unhanded";
  if (w.token || Date.parse(w.since) > deps.now().getTime() - RECENTLY_PARKED_MS) {
    // The execution that parked it may still run: its park's signal failed and is retried (it kept its
    // token), or it parked a moment ago (an escalation on its way to ParkedForOps). Not beside it: the
    // reconciler starts the continuation once it has ended.
    const status = executionStatus !== undefined ? executionStatus : await deps.workflow.status(w.execution);
    if (status === "RUNNING") return "unhanded";
  }
  const name = executionNames.afterPark(ref.escrowId, w.seenVersion);
  if (!current.marks) current = await load(deps, ref);
  for (let attempt = 0; current.marks && current.marks.execution !== name; attempt++) {
    const version = current.history[current.history.length - 1]?.v ?? 1;
    const read = { version, mv: current.marks.mv };
    if (await deps.store.marks.set(ref.tenantId, ref.escrowId, read, { execution: name })) break;
    if (attempt === 3) throw new Error(`escrow ${ref.escrowId} kept moving while its continuation was named`);
    current = await load(deps, ref);
  }
  await deps.workflow.start({ ...ref, name, step });
  // The wait is no longer parked: the continuation runs it (a later wait of its own replaces this).
  await deps.store.waits.put(ref.tenantId, ref.escrowId, {
    ...w,
    token: null,
    parked: false,
    execution: name,
  });
  return "continued";
}
