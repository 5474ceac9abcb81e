import { beforeEach, describe, expect, it } from "vitest";
import {
  createEscrow,
  getEscrow,
  listHistory,
  performAction,
  TAKEOVER_AFTER_MS,
} from "../../functions/app/escrow-service";
import { getOpsEscrow } from "../../functions/app/ops-view";
import { reconcile } from "../../functions/app/reconcile";
import { beginWait, holdFunds, settle } from "../../functions/app/workflow-tasks";
import type { CreateEscrowInput } from "../../functions/domain/create-input";
import type { ActionCommand } from "../../functions/domain/escrow";
import { eventId } from "../../functions/domain/events";
import { escrowIdFor } from "../../functions/domain/ids";
import { UNCONFIRMED_CREATION_SECONDS } from "../../functions/domain/reconciliation";
import { DAY } from "../../functions/domain/windows";
import { INITIAL_STEP } from "../../functions/domain/workflow-step";
import type { EscrowStore } from "../../functions/ports/escrow-store";
import { RecordingPublisher, RecordingWorkflow, TestPayments } from "./fakes";
import { createInput, createVia, keyed, useStore } from "./fixture";
import { opsParts } from "./ops-fixture";

/**
 * The reconciler (ARCHITECTURE v1.1 decision 1) against a recording workflow
 * engine: every escrow whose record expects the workflow to have moved on is
 * found through the due index or the failed executions, and handed the step
 * its record dictates — started, signalled, continued, restarted, its owed
 * events published. test/workflow/reconcile.test.ts runs the same paths on
 * the real state machine.
 */
const table = useStore();
let payments: TestPayments;
let events: RecordingPublisher;
let workflow: RecordingWorkflow;
let clock: number;
const deps = () => ({ store: table.store, payments, events, workflow, now: () => new Date(clock) });
/** The reconciler, as its schedule runs it, `seconds` from now. */
const reconcileIn = (seconds: number) => {
  clock += seconds * 1000;
  return reconcile(deps());
};

beforeEach(async () => {
  payments = new TestPayments();
  events = new RecordingPublisher();
  workflow = new RecordingWorkflow();
  // Each test starts a day after the last one's escrows, whose due marks the reconciler clears first.
  clock = Date.parse("2026-11-25T10:00:00.000Z") + 100 * DAY * ++n;
  await reconcile(deps());
  payments = new TestPayments();
  events = new RecordingPublisher();
  workflow = new RecordingWorkflow();
});

let n = 0;
const escrowIdOf = (key: string) => escrowIdFor("demo", key);
const create = (overrides: Partial<CreateEscrowInput> = {}) => createVia(deps(), "demo", overrides);
const act = (ref: { escrowId: string }, command: ActionCommand) =>
  performAction(deps(), "demo", ref.escrowId, command);
const dueIds = async (seconds = 0) =>
  (await table.store.listDue(new Date(clock + seconds * 1000).toISOString(), 1000)).map((d) => d.escrowId);
const startsOf = (id: string) =>
  workflow.started.filter((s) => s.escrowId === id).map((s) => [s.name, s.step.outcome, s.step.version]);

/** A funded escrow whose workflow waits for delivery (token `t-<id>`). */
async function waitingForDelivery(overrides: Partial<CreateEscrowInput> = {}) {
  const ref = await create(overrides);
  await holdFunds(deps(), ref);
  await beginWait(deps(), {
    ...ref,
    seenVersion: 2,
    taskToken: `t-${ref.escrowId}`,
    execution: ref.escrowId,
  });
  return ref;
}

describe("an execution that was never started", () => {
  it("is started by the reconciler at its next run after the start was refused", async () => {
    workflow.refuse.start = true;
    const ref = await create();
    workflow.refuse.start = false;
    expect(workflow.names).toEqual([]);
    // The refused start marked the escrow due at once.
    const report = await reconcileIn(1);
    expect(report).toMatchObject({ started: 1, failed: 0 });
    expect(workflow.started).toEqual([
      expect.objectContaining({
        tenantId: "demo",
        escrowId: ref.escrowId,
        name: ref.escrowId,
        step: INITIAL_STEP,
      }),
    ]);
    expect(await dueIds()).not.toContain(ref.escrowId);
  });

  it("is left alone when it exists (its start was only slow)", async () => {
    const ref = await create();
    workflow.executions.set(ref.escrowId, { input: workflow.started[0] as never, status: "RUNNING" });
    const report = await reconcileIn(61);
    expect(report.started).toBe(0);
    expect(workflow.names).toEqual([ref.escrowId]);
  });
});

describe("a creation no answer confirmed", () => {
  it("holds nothing; a retry of its key starts it (not a replay), else it is let go after the window", async () => {
    // The write takes effect but its answer is lost, and every read-back fails: the API cannot know.
    const lost = Object.assign(Object.create(table.store) as EscrowStore, {
      create: async (...args: Parameters<EscrowStore["create"]>) => {
        await table.store.create(...args);
        throw new Error("TimeoutError: the write's answer was lost");
      },
      get: async () => {
        throw new Error("ServiceUnavailable");
      },
    });
    const bodies = [createInput({ description: "retried" }), createInput({ description: "abandoned" })];
    const keys = bodies.map((_, i) => `unconfirmed-${clock}-${i}`);
    const answers = await Promise.allSettled(
      bodies.map((b, i) => createEscrow({ ...deps(), store: lost }, "demo", b, keyed(keys[i] as string, b))),
    );
    expect(answers.map((a) => a.status)).toEqual(["rejected", "rejected"]);
    expect(workflow.names).toEqual([]);
    expect(payments.calls).toEqual([]);

    // The integrator retries the first key once the first attempt is over: this answer starts it.
    clock += TAKEOVER_AFTER_MS + 1000;
    const retried = await createEscrow(
      deps(),
      "demo",
      bodies[0] as never,
      keyed(keys[0] as string, bodies[0]),
    );
    expect(retried).toMatchObject({ statusCode: 201, replayed: false, escrow: { status: "PENDING_FUNDS" } });
    expect(workflow.names).toEqual([retried.escrow.id]);
    // A second retry is a replay.
    const again = await createEscrow(deps(), "demo", bodies[0] as never, keyed(keys[0] as string, bodies[0]));
    expect(again).toMatchObject({ statusCode: 201, replayed: true });

    // The other is never retried: nothing happens to it until the idempotency window has passed…
    expect((await reconcileIn(UNCONFIRMED_CREATION_SECONDS - 120)).started).toBe(0);
    // …then it is let go: CANCELLED, nothing ever held, announced like any cancellation.
    const report = await reconcileIn(120);
    expect(report).toMatchObject({ cancelled: 1, started: 0, failed: 0 });
    const abandoned = (await listHistory(deps(), "demo", escrowIdOf(keys[1] as string))).items;
    expect(abandoned.map((e) => e.type)).toEqual(["created", "payment_failed"]);
    expect(await getEscrow(deps(), "demo", escrowIdOf(keys[1] as string))).toMatchObject({
      status: "CANCELLED",
      failureReason: "creation_unconfirmed",
      funded: 0,
    });
    expect(events.of(escrowIdOf(keys[1] as string)).map((e) => e.type)).toEqual(["escrow.cancelled"]);
    expect(workflow.names).toEqual([retried.escrow.id]);
    expect(payments.calls).toEqual([]);
  }, 30_000);
});

describe("a claim that was never signalled", () => {
  it("is signalled by the reconciler with the step the record dictates", async () => {
    const ref = await waitingForDelivery();
    workflow.refuse.signal = true;
    const answer = await act(ref, { action: "delivery", actorId: "u-s" });
    // The API never waits on the workflow's health: the action stands, the escrow is marked due.
    expect(answer).toMatchObject({ statusCode: 202, escrow: { status: "DELIVERED" } });
    expect(await dueIds()).toContain(ref.escrowId);
    workflow.refuse.signal = false;
    const report = await reconcileIn(1);
    expect(report).toMatchObject({ signalled: 1, failed: 0 });
    expect(workflow.signals).toEqual([
      {
        token: `t-${ref.escrowId}`,
        step: { outcome: "delivered", version: 3, timeoutSeconds: 10 * DAY - 1 },
      },
    ]);
    expect(await dueIds()).not.toContain(ref.escrowId);
  });

  it("a claim whose token is gone and whose execution stopped is restarted from the record", async () => {
    const ref = await waitingForDelivery();
    // The execution failed and nobody told the reconciler's list (older than its look-back).
    const first = workflow.executions.get(ref.escrowId);
    if (first) Object.assign(first, { status: "FAILED", stoppedAt: new Date(0) });
    workflow.used.add(`t-${ref.escrowId}`);
    await act(ref, { action: "delivery", actorId: "u-s" });
    expect(await dueIds()).toContain(ref.escrowId);
    const report = await reconcileIn(1);
    expect(report.restarted).toBe(1);
    // From the step the record is at (the delivery); what was not announced is announced first.
    expect(startsOf(ref.escrowId).slice(1)).toEqual([[`${ref.escrowId}-r3x1`, "delivered", 3]]);
    expect(await dueIds()).not.toContain(ref.escrowId);
  });
});

describe("a long wait parked in the record", () => {
  const parkingDeps = () => ({ ...deps(), parkAfterSeconds: 60 });

  it("ends the execution; the action that ends the wait starts the continuation, once", async () => {
    const ref = await create();
    await holdFunds(deps(), ref);
    await beginWait(parkingDeps(), { ...ref, seenVersion: 2, taskToken: "t-park", execution: ref.escrowId });
    // The wait (7 days) is longer than the lease (60 s): the workflow is told to park.
    expect(workflow.signals).toEqual([
      { token: "t-park", step: { outcome: "parked", version: 2, timeoutSeconds: 1 } },
    ]);
    const deadline = (await getEscrow(deps(), "demo", ref.escrowId)).deadline;
    expect(await table.store.getWait("demo", ref.escrowId)).toMatchObject({
      // The token is kept: until the execution has ended, an action can still signal it.
      token: "t-park",
      parked: true,
      seenVersion: 2,
      // The soonest of what the reconciler must do: the wait's reminder, a day before the deadline.
      due: new Date(Date.parse(deadline as string) - DAY * 1000).toISOString(),
      execution: ref.escrowId,
      published: 2,
    });
    expect(events.of(ref.escrowId)).toEqual([{ id: eventId(ref.escrowId, 2), type: "escrow.funded" }]);

    await act(ref, { action: "delivery", actorId: "u-s" });
    expect(startsOf(ref.escrowId)).toEqual([
      [ref.escrowId, "created", 1],
      [`${ref.escrowId}-p2`, "delivered", 3],
    ]);
    // Ops find the current execution from the escrow.
    const ops = await getOpsEscrow({ ...deps(), ...opsParts(table.db) }, "demo", ref.escrowId);
    expect(ops.ops.executionArn).toBe(workflow.executionArn(`${ref.escrowId}-p2`));
    expect(ops.ops.consoleUrl).toContain(encodeURI(workflow.executionArn(`${ref.escrowId}-p2`)));
    // The same continuation started again (the reconciler racing the action) is refused by its name.
    const started = workflow.started.at(-1);
    expect(started && (await workflow.start(started))).toBe(false);
    expect(workflow.names).toEqual([ref.escrowId, `${ref.escrowId}-p2`]);
  });

  it("whose deadline passes is completed by the reconciler: the deadline applied, then the continuation", async () => {
    const ref = await create();
    await holdFunds(deps(), ref);
    await beginWait(parkingDeps(), { ...ref, seenVersion: 2, taskToken: "t-park2", execution: ref.escrowId });
    // Not before the deadline.
    expect((await reconcileIn(DAY)).continued).toBe(0);
    expect(workflow.names).toEqual([ref.escrowId]);
    // (Escrows of earlier tests whose reminders are due by then are looked at in the same run.)
    const report = await reconcileIn(7 * DAY);
    expect(report).toMatchObject({ failed: 0 });
    expect((await listHistory(deps(), "demo", ref.escrowId)).items.map((e) => e.type)).toEqual([
      "created",
      "funded",
      "window_elapsed",
    ]);
    expect(startsOf(ref.escrowId)).toEqual([
      [ref.escrowId, "created", 1],
      [`${ref.escrowId}-p2`, "refund", 3],
    ]);
    // A late action gets 409, as after a timed-out wait.
    await expect(act(ref, { action: "delivery", actorId: "u-s" })).rejects.toMatchObject({
      kind: "invalid_transition",
    });
    // The continuation refunds; a second run has nothing left to do for this escrow.
    await settle(deps(), ref);
    expect((await getEscrow(deps(), "demo", ref.escrowId)).status).toBe("REFUNDED");
    await reconcileIn(DAY);
    expect(startsOf(ref.escrowId)).toHaveLength(2);
  });
});

describe("an event that was never published", () => {
  it("a wait's event is owed and published later by the reconciler, with the same id", async () => {
    const ref = await create();
    await holdFunds(deps(), ref);
    events.fails = true;
    await beginWait(deps(), { ...ref, seenVersion: 2, taskToken: "t-owed", execution: ref.escrowId });
    // The wait began all the same (notifications never stop the workflow).
    expect(await table.store.getWait("demo", ref.escrowId)).toMatchObject({
      token: "t-owed",
      published: 1, // the creation (version 1) announces nothing
      owedFrom: 2,
      due: new Date(clock).toISOString(),
    });
    // Owed at once: the reconciler's next run publishes it (while SNS still fails, it stays owed).
    expect((await reconcileIn(1)).published).toBe(0);
    expect(await table.store.getWait("demo", ref.escrowId)).toMatchObject({ owedFrom: 2 });
    events.fails = false;
    const report = await reconcileIn(1);
    expect(report.published).toBe(1);
    expect(events.of(ref.escrowId)).toEqual([{ id: eventId(ref.escrowId, 2), type: "escrow.funded" }]);
    expect(await table.store.getWait("demo", ref.escrowId)).toMatchObject({ owedFrom: null, due: null });
    expect((await reconcileIn(61)).published).toBe(0);
  });

  it("an outcome whose announcement failed is published later, with the same id", async () => {
    const ref = await create();
    await holdFunds(deps(), ref);
    await act(ref, { action: "cancellation", actorId: "u-b" });
    events.fails = true;
    await settle(deps(), ref);
    expect((await getEscrow(deps(), "demo", ref.escrowId)).status).toBe("REFUNDED");
    expect(await dueIds()).toContain(ref.escrowId);
    events.fails = false;
    const report = await reconcileIn(1);
    expect(report.published).toBe(1);
    expect(events.of(ref.escrowId)).toEqual([{ id: eventId(ref.escrowId, 5), type: "escrow.refunded" }]);
    expect(await dueIds()).not.toContain(ref.escrowId);
  });

  it("a terminal escrow whose announcement went through is not announced again", async () => {
    const ref = await create();
    await holdFunds(deps(), ref);
    await act(ref, { action: "cancellation", actorId: "u-b" });
    await settle(deps(), ref);
    await reconcileIn(3600);
    expect(events.of(ref.escrowId)).toEqual([{ id: eventId(ref.escrowId, 5), type: "escrow.refunded" }]);
  });
});

describe("an execution that failed", () => {
  it("is restarted from the record under a name of its own, once", async () => {
    const ref = await create();
    await holdFunds(deps(), ref);
    await beginWait(deps(), { ...ref, seenVersion: 2, taskToken: "t-f", execution: ref.escrowId });
    await act(ref, { action: "delivery", actorId: "u-s" });
    await beginWait(deps(), { ...ref, seenVersion: 3, taskToken: "t-f2", execution: ref.escrowId });
    await act(ref, { action: "confirmation", actorId: "u-b" });
    // ReleaseToSeller failed after its retries (LeftToReconciler).
    const first = workflow.executions.get(ref.escrowId);
    if (first) Object.assign(first, { status: "FAILED", stoppedAt: new Date(clock) });
    const report = await reconcileIn(1);
    expect(report.restarted).toBe(1);
    // Straight to the release the record is at (no wait, so no store write, on the way).
    expect(startsOf(ref.escrowId).slice(1)).toEqual([[`${ref.escrowId}-r4x1`, "release", 4]]);
    // The next run sees the same failed execution again (its look-back overlaps): nothing new is started.
    expect((await reconcileIn(60)).restarted).toBe(0);
    expect(workflow.names).toEqual([ref.escrowId, `${ref.escrowId}-r4x1`]);
  });

  it("an older execution that failed after the escrow moved on is left alone", async () => {
    const ref = await create();
    await holdFunds(deps(), ref);
    await beginWait(deps(), { ...ref, seenVersion: 2, taskToken: "t-o", execution: `${ref.escrowId}-p9` });
    const first = workflow.executions.get(ref.escrowId);
    if (first) Object.assign(first, { status: "FAILED", stoppedAt: new Date(clock) });
    expect((await reconcileIn(1)).restarted).toBe(0);
  });
});
