import { describe, expect, it } from "vitest";
import { DynamoOpsDesk } from "../../functions/adapters/dynamo-ops-desk";
import {
  createEscrow,
  getEscrow,
  listEscrows,
  listHistory,
  TAKEOVER_AFTER_MS,
} from "../../functions/app/escrow-service";
import { getOpsEscrow } from "../../functions/app/ops-view";
import { applyDeadline, beginWait, holdFunds, settle } from "../../functions/app/workflow-tasks";
import { DependencyUnavailableError, NotFoundError } from "../../functions/domain/errors";
import { RECONCILE_GRACE_SECONDS, UNCONFIRMED_CREATION_SECONDS } from "../../functions/domain/reconciliation";
import { DAY } from "../../functions/domain/windows";
import { INITIAL_STEP } from "../../functions/domain/workflow-step";
import type { EscrowStore } from "../../functions/ports/escrow-store";
import { withPort } from "../support/store-faults";
import { createInput, keyed } from "./fixture";
import { opsParts } from "./ops-fixture";
import {
  act,
  advance,
  clock,
  create,
  deps,
  due,
  dynalite,
  escrowIdOf,
  events,
  PERIOD,
  payments,
  reconcileIn,
  running,
  startsOf,
  stop,
  table,
  useReconciler,
  waitingForDelivery,
  workflow,
} from "./reconcile-fixture";

/**
 * The reconciler (ARCHITECTURE.md v1.2 decision 1) against a recording
 * workflow engine: it reads the record only — one due mark per escrow — asks
 * about the one execution the record names, and starts, signals, continues or
 * leaves it; publishes what is owed; and moves the mark on, so nothing it has
 * to do can be forgotten. test/workflow/recovery.test.ts runs the same paths
 * on the real state machine.
 */
useReconciler();

describe("an execution that was never started", () => {
  it("is started by the reconciler at its next run after the start was refused; the 201 stood", async () => {
    workflow.refuse.start = true;
    const ref = await create();
    workflow.refuse.start = false;
    expect(workflow.names).toEqual([]);
    // The refused start asked for a visit, and confirmed the creation: the escrow is readable.
    expect(await due()).toContain(ref.escrowId);
    expect(await getEscrow(deps(), "demo", ref.escrowId)).toMatchObject({ status: "PENDING_FUNDS" });
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
    // Its mark moved on: the hold is expected within the grace.
    expect(await due()).not.toContain(ref.escrowId);
  });

  it("is left alone when it exists (its start was only slow)", async () => {
    const ref = await create();
    const report = await reconcileIn(RECONCILE_GRACE_SECONDS + 1);
    expect(report.started).toBe(0);
    expect(workflow.names).toEqual([ref.escrowId]);
  });
});

describe("a creation no answer confirmed (API.md v1.2: a create that answered 503 leaves nothing behind)", () => {
  it("is never readable, listed or announced; a retry of its key creates it; else it is removed after the window", async () => {
    // The write takes effect but its answer is lost, and every read-back fails: the API cannot know.
    const lost = withPort(table.store, "escrows", {
      create: async (...args: Parameters<EscrowStore["escrows"]["create"]>) => {
        await table.store.escrows.create(...args);
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
    const abandoned = escrowIdOf(keys[1] as string);
    // Not readable, not listed, no history, no action: to readers it does not exist.
    await expect(getEscrow(deps(), "demo", abandoned)).rejects.toBeInstanceOf(NotFoundError);
    await expect(listHistory(deps(), "demo", abandoned)).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      act({ escrowId: abandoned }, { action: "cancellation", actorId: "u-b" }),
    ).rejects.toBeInstanceOf(NotFoundError);
    const listed = await listEscrows(deps(), "demo", { buyerId: "u-b", limit: 100 });
    expect(listed.items.map((e) => e.id)).not.toContain(abandoned);

    // The integrator retries the first key once the first attempt is over: this answer starts it.
    advance(TAKEOVER_AFTER_MS + 1000);
    const retried = await createEscrow(
      deps(),
      "demo",
      bodies[0] as never,
      keyed(keys[0] as string, bodies[0]),
    );
    expect(retried).toMatchObject({ statusCode: 201, replayed: false, escrow: { status: "PENDING_FUNDS" } });
    expect(workflow.names).toEqual([retried.escrow.id]);
    expect(await getEscrow(deps(), "demo", retried.escrow.id)).toMatchObject({ status: "PENDING_FUNDS" });

    // The other is never retried: it waits out the idempotency window, holding nothing…
    expect(await reconcileIn(UNCONFIRMED_CREATION_SECONDS - 120)).toMatchObject({ started: 0, dropped: 0 });
    // …then it is removed: nothing was held, nothing is announced.
    expect(await reconcileIn(120)).toMatchObject({ dropped: 1, started: 0, failed: 0 });
    expect(await table.store.escrows.get("demo", abandoned)).toBeNull();
    expect(events.of(abandoned)).toEqual([]);
    expect(workflow.names).toEqual([retried.escrow.id]);
    expect(payments.calls).toEqual([]);
  }, 30_000);

  it("one whose confirmation landed unseen (every answer lost, no read-back) is made provisional again: the 503 leaves nothing readable or started", async () => {
    const lostConfirm = withPort(table.store, "escrows", {
      confirm: async (tenantId: string, escrowId: string) => {
        await table.store.escrows.confirm(tenantId, escrowId);
        throw Object.assign(new Error("the confirmation's answer was lost"), { name: "TimeoutError" });
      },
      get: async () => {
        throw Object.assign(new Error("the read's answer was lost"), { name: "TimeoutError" });
      },
    });
    const body = createInput({ description: "confirmed unseen" });
    const key = `confirm-lost-${clock}`;
    await expect(
      createEscrow({ ...deps(), store: lostConfirm }, "demo", body, keyed(key, body)),
    ).rejects.toBeInstanceOf(DependencyUnavailableError);
    const id = escrowIdOf(key);
    await expect(getEscrow(deps(), "demo", id)).rejects.toBeInstanceOf(NotFoundError);
    // The reconciler does not start it either: nothing is held for a request that answered 503.
    expect(await reconcileIn(RECONCILE_GRACE_SECONDS + 1)).toMatchObject({ started: 0 });
    expect(workflow.names).toEqual([]);
    expect(payments.calls).toEqual([]);
  }, 30_000);
});

describe("a claim that was never signalled", () => {
  it("is signalled by the reconciler with the step the record dictates", async () => {
    const ref = await waitingForDelivery();
    workflow.refuse.signal = true;
    const answer = await act(ref, { action: "delivery", actorId: "u-s" });
    // The API never waits on the workflow's health: the action stands, the reconciler is asked.
    expect(answer).toMatchObject({ statusCode: 202, escrow: { status: "DELIVERED" } });
    expect(await due()).toContain(ref.escrowId);
    workflow.refuse.signal = false;
    const report = await reconcileIn(1);
    expect(report).toMatchObject({ signalled: 1, failed: 0 });
    expect(workflow.signals).toEqual([
      {
        token: `t-${ref.escrowId}`,
        step: { outcome: "delivered", version: 3, timeoutSeconds: 10 * DAY - 1 },
      },
    ]);
    expect(await due()).not.toContain(ref.escrowId);
  });
});

describe("an execution that ended without finishing the escrow (issue #16, findings 3 and 7)", () => {
  it("is restarted from the record once Step Functions answers, however long it refuses; a delivery accepted meanwhile is carried out", async () => {
    // The first wait's task failed for good, and the execution with it: no wait was recorded.
    const ref = await create();
    await holdFunds(deps(), { ...ref, execution: ref.escrowId });
    stop(ref.escrowId);
    // Its delivery window ends (7 days); Step Functions refuses every start for three hours of runs.
    workflow.refuse.start = true;
    advance(7 * DAY * 1000);
    for (let run = 0; run < 36; run++) {
      const report = await reconcileIn(PERIOD);
      expect(report.restarted).toBe(0);
      // Never forgotten: the escrow stays due, looked at again every period.
      expect(await due(PERIOD)).toContain(ref.escrowId);
    }
    workflow.refuse.start = false;
    expect((await reconcileIn(PERIOD)).restarted).toBe(1);
    // One restart, named after the record's version, from the step the record is at.
    expect(startsOf(ref.escrowId)).toEqual([
      [ref.escrowId, "created", 1],
      [`${ref.escrowId}-r2`, "funded", 2],
    ]);
    expect(running(ref.escrowId).map(([name]) => name)).toEqual([`${ref.escrowId}-r2`]);
    // The restart's wait finds the deadline passed: refunded, as the record dictates.
    await beginWait(deps(), { ...ref, seenVersion: 2, taskToken: "t-r2", execution: `${ref.escrowId}-r2` });
    const step = await applyDeadline(deps(), { ...ref, seenVersion: 2, execution: `${ref.escrowId}-r2` });
    expect(step.outcome).toBe("refund");
    await settle(deps(), { ...ref, execution: `${ref.escrowId}-r2` });
    expect(await getEscrow(deps(), "demo", ref.escrowId)).toMatchObject({ status: "REFUNDED", held: 0 });
  });

  it("a delivery accepted while the execution was dead is carried out by the restart", async () => {
    const ref = await waitingForDelivery();
    stop(ref.escrowId);
    workflow.used.add(`t-${ref.escrowId}`); // its token ended with it
    const answer = await act(ref, { action: "delivery", actorId: "u-s" });
    expect(answer.statusCode).toBe(202);
    // The token could not take the step: the reconciler was asked, and restarts from the delivery.
    expect(await due()).toContain(ref.escrowId);
    expect((await reconcileIn(1)).restarted).toBe(1);
    expect(startsOf(ref.escrowId).slice(1)).toEqual([[`${ref.escrowId}-r3`, "delivered", 3]]);
  });

  it("is restarted up to three times at one version: an execution that ends a fourth time there is for ops, and never two run", async () => {
    // Stopped before its hold (an operator, a limit), again and again: the record stays at version 1.
    const ref = await create();
    stop(ref.escrowId, "ABORTED");
    expect((await reconcileIn(RECONCILE_GRACE_SECONDS + 1)).restarted).toBe(1);
    // Every later run sees one running execution and leaves it.
    for (let run = 0; run < 3; run++) {
      expect(await reconcileIn(PERIOD)).toMatchObject({ restarted: 0, started: 0 });
      expect(running(ref.escrowId)).toHaveLength(1);
    }
    // Restarted from the record each time, under a name of its own.
    stop(`${ref.escrowId}-r1`, "ABORTED");
    expect(await reconcileIn(PERIOD)).toMatchObject({ restarted: 1, escalated: 0 });
    expect(running(ref.escrowId)).toHaveLength(1);
    stop(`${ref.escrowId}-r1-2`);
    expect(await reconcileIn(PERIOD)).toMatchObject({ restarted: 1, escalated: 0 });
    expect(await getEscrow(deps(), "demo", ref.escrowId)).toMatchObject({ needsOpsAttention: false });
    stop(`${ref.escrowId}-r1-3`);
    const report = await reconcileIn(PERIOD);
    expect(report).toMatchObject({ restarted: 0, escalated: 1 });
    expect(running(ref.escrowId)).toEqual([]);
    expect(await getEscrow(deps(), "demo", ref.escrowId)).toMatchObject({
      needsOpsAttention: true,
      attentionReason: "workflow_failing",
    });
    expect(startsOf(ref.escrowId)).toEqual([
      [ref.escrowId, "created", 1],
      [`${ref.escrowId}-r1`, "created", 1],
      [`${ref.escrowId}-r1-2`, "created", 1],
      [`${ref.escrowId}-r1-3`, "created", 1],
    ]);
  });

  it("a task of an execution the record no longer names does nothing and ends (superseded)", async () => {
    const ref = await waitingForDelivery();
    stop(ref.escrowId);
    workflow.used.add(`t-${ref.escrowId}`); // its token ended with it
    await act(ref, { action: "cancellation", actorId: "u-b" });
    await reconcileIn(1);
    expect(startsOf(ref.escrowId).at(-1)?.[0]).toBe(`${ref.escrowId}-r3`);
    // The old execution's settlement task, run late, moves nothing.
    expect(await settle(deps(), { ...ref, execution: ref.escrowId })).toMatchObject({
      outcome: "superseded",
    });
    expect(payments.callsOf(ref.escrowId).filter((c) => c.type !== "hold")).toEqual([]);
    // The current one settles.
    await settle(deps(), { ...ref, execution: `${ref.escrowId}-r3` });
    expect((await getEscrow(deps(), "demo", ref.escrowId)).status).toBe("REFUNDED");
  });
});

describe("a long wait parked in the record", () => {
  const parkingDeps = () => ({ ...deps(), parkAfterSeconds: 60 });

  it("ends the execution; the action that ends the wait starts the continuation, once, and the record names it", async () => {
    const ref = await create();
    await holdFunds(deps(), ref);
    await beginWait(parkingDeps(), { ...ref, seenVersion: 2, taskToken: "t-park", execution: ref.escrowId });
    expect(workflow.signals).toEqual([
      { token: "t-park", step: { outcome: "parked", version: 2, timeoutSeconds: 1 } },
    ]);
    expect(await table.store.waits.get("demo", ref.escrowId)).toMatchObject({
      // The token is kept: until the execution has ended, an action can still signal it.
      token: "t-park",
      parked: true,
      seenVersion: 2,
      execution: ref.escrowId,
      published: 2,
    });
    const escrow = await getEscrow(deps(), "demo", ref.escrowId);
    // The escrow's mark: its reminder (a day before), then its deadline itself (nothing else ends it).
    const record = await table.store.escrows.get("demo", ref.escrowId);
    expect(record?.marks).toMatchObject({
      parked: true,
      due: new Date(Date.parse(escrow.deadline as string) - DAY * 1000).toISOString(),
    });
    stop(ref.escrowId, "ABORTED"); // as Parked ends it (any end will do)
    workflow.used.add("t-park");
    await act(ref, { action: "delivery", actorId: "u-s" });
    expect(startsOf(ref.escrowId)).toEqual([
      [ref.escrowId, "created", 1],
      [`${ref.escrowId}-p2`, "delivered", 3],
    ]);
    expect((await table.store.escrows.get("demo", ref.escrowId))?.marks?.execution).toBe(
      `${ref.escrowId}-p2`,
    );
    // Ops find the current execution from the escrow.
    const desk = new DynamoOpsDesk(dynalite.db.client, table.name);
    const ops = await getOpsEscrow({ ...deps(), ...opsParts(dynalite.db), desk }, "demo", ref.escrowId);
    expect(ops.ops.executionArn).toBe(workflow.executionArn(`${ref.escrowId}-p2`));
    // The reconciler, racing the action, starts nothing more.
    await reconcileIn(1);
    expect(workflow.names).toEqual([ref.escrowId, `${ref.escrowId}-p2`]);
  });

  it("whose deadline passes is completed by the reconciler: the deadline applied, then the continuation", async () => {
    const ref = await create({ windows: { reminderSeconds: 0 } });
    await holdFunds(deps(), ref);
    await beginWait(parkingDeps(), { ...ref, seenVersion: 2, taskToken: "t-park2", execution: ref.escrowId });
    stop(ref.escrowId, "ABORTED");
    workflow.used.add("t-park2");
    // Not before the deadline.
    expect((await reconcileIn(DAY)).continued).toBe(0);
    expect(workflow.names).toEqual([ref.escrowId]);
    expect(await reconcileIn(6 * DAY)).toMatchObject({ continued: 1, failed: 0 });
    expect((await listHistory(deps(), "demo", ref.escrowId)).items.map((e) => e.type)).toEqual([
      "created",
      "funded",
      "window_elapsed",
    ]);
    expect(startsOf(ref.escrowId)).toEqual([
      [ref.escrowId, "created", 1],
      [`${ref.escrowId}-p2`, "refund", 3],
    ]);
    await expect(act(ref, { action: "delivery", actorId: "u-s" })).rejects.toMatchObject({
      kind: "invalid_transition",
    });
    await settle(deps(), { ...ref, execution: `${ref.escrowId}-p2` });
    expect((await getEscrow(deps(), "demo", ref.escrowId)).status).toBe("REFUNDED");
    await reconcileIn(DAY);
    expect(startsOf(ref.escrowId)).toHaveLength(2);
  });
});
