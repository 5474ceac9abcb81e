import { describe, expect, it } from "vitest";
import { getEscrow, listHistory } from "../../functions/app/escrow-service";
import { beginWait, escalateToOps, holdFunds, settle } from "../../functions/app/workflow-tasks";
import { eventId } from "../../functions/domain/events";
import {
  DEPENDENCY_ALERT_AFTER_SECONDS,
  RECONCILE_GRACE_SECONDS,
} from "../../functions/domain/reconciliation";
import { DAY } from "../../functions/domain/windows";
import { PayoutRejected } from "../../functions/ports/payment-provider";
import {
  act,
  create,
  deps,
  due,
  events,
  PERIOD,
  payments,
  reconcileIn,
  running,
  setClock,
  startsOf,
  stop,
  table,
  useReconciler,
  waitingForDelivery,
  workflow,
} from "./reconcile-fixture";

/**
 * The reconciler (see reconcile.test.ts) on what is overdue: escrows waiting
 * for ops, waits whose deadline passed, events never published, steps that
 * stay stuck, a backlog of marks, and the visits reminders alone make.
 */
useReconciler();

describe("an escrow waiting for ops", () => {
  it("is not visited again until ops act, and no dependency is reported failing for it", async () => {
    const ref = await waitingForDelivery();
    await act(ref, { action: "delivery", actorId: "u-s" });
    await act(ref, { action: "confirmation", actorId: "u-b" });
    payments.rejectPayouts = true;
    await expect(settle(deps(), { ...ref, execution: ref.escrowId })).rejects.toThrow(PayoutRejected);
    await escalateToOps(deps(), {
      ...ref,
      error: "PayoutRejected",
      cause: "closed",
      execution: ref.escrowId,
    });
    stop(ref.escrowId, "ABORTED"); // its execution ended after parking for ops
    const alerts = events.alerts.length;
    await reconcileIn(1);
    // A month of reconciler runs: nothing to visit, nothing reported, nothing restarted.
    for (let day = 0; day < 30; day++) {
      expect(await reconcileIn(DAY)).toMatchObject({ visited: 0, alerted: 0, restarted: 0 });
    }
    expect(events.alerts.length).toBe(alerts);
    expect(await due(60 * DAY)).not.toContain(ref.escrowId);
    expect(await getEscrow(deps(), "demo", ref.escrowId)).toMatchObject({
      needsOpsAttention: true,
      attentionReason: "payout_rejected",
    });
  });
});

describe("a park whose signal failed (the execution retries its wait)", () => {
  const parkingDeps = () => ({ ...deps(), parkAfterSeconds: 60 });

  it("gets no second execution beside it: the action leaves the step to it, and the reconciler starts the continuation only once it has ended", async () => {
    const ref = await create();
    await holdFunds(deps(), ref);
    // The park is recorded, then Step Functions refuses its signal: the task fails and will be retried.
    workflow.refuse.signal = true;
    await expect(
      beginWait(parkingDeps(), { ...ref, seenVersion: 2, taskToken: "t-p1", execution: ref.escrowId }),
    ).rejects.toThrow("Rate exceeded");
    workflow.refuse.signal = false;
    workflow.used.add("t-p1"); // that attempt's token ended with it
    expect(await table.store.waits.get("demo", ref.escrowId)).toMatchObject({ parked: true });
    expect(running(ref.escrowId)).toHaveLength(1);
    // The seller delivers while the execution waits to retry: 202, and no continuation beside it.
    await act(ref, { action: "delivery", actorId: "u-s" });
    expect(await reconcileIn(1)).toMatchObject({ continued: 0, restarted: 0 });
    expect(workflow.names).toEqual([ref.escrowId]);
    // Its retry reads the record and carries the delivery on, in the same execution.
    await beginWait(parkingDeps(), { ...ref, seenVersion: 2, taskToken: "t-p2", execution: ref.escrowId });
    expect(workflow.signals.at(-1)).toEqual({
      token: "t-p2",
      step: expect.objectContaining({ outcome: "delivered", version: 3 }),
    });
    expect(workflow.names).toEqual([ref.escrowId]);
  });

  it("once that execution has ended (stopped from outside), the reconciler continues from the record", async () => {
    const ref = await create();
    await holdFunds(deps(), ref);
    workflow.refuse.signal = true;
    await expect(
      beginWait(parkingDeps(), { ...ref, seenVersion: 2, taskToken: "t-p3", execution: ref.escrowId }),
    ).rejects.toThrow("Rate exceeded");
    workflow.refuse.signal = false;
    workflow.used.add("t-p3");
    await act(ref, { action: "delivery", actorId: "u-s" });
    stop(ref.escrowId, "ABORTED");
    expect(await reconcileIn(1)).toMatchObject({ continued: 1 });
    expect(startsOf(ref.escrowId).at(-1)).toEqual([`${ref.escrowId}-p2`, "delivered", 3]);
    expect(running(ref.escrowId).map(([name]) => name)).toEqual([`${ref.escrowId}-p2`]);
  });
});

describe("a live wait whose deadline passed without its timeout", () => {
  it("is ended by the reconciler with the deadline's outcome: an outage that made Step Functions retry the wait's task does not move the deadline", async () => {
    const ref = await waitingForDelivery({ windows: { reminderSeconds: 0 } });
    const deadline = Date.parse((await getEscrow(deps(), "demo", ref.escrowId)).deadline as string);
    // Its timer started again with the retried attempt: the execution still waits after the deadline.
    expect((await reconcileIn(1)).signalled).toBe(0);
    setClock(deadline - 1000);
    expect((await reconcileIn(0)).signalled).toBe(0);
    await reconcileIn(RECONCILE_GRACE_SECONDS + 2);
    expect(workflow.signals.at(-1)).toEqual({
      token: `t-${ref.escrowId}`,
      step: expect.objectContaining({ outcome: "refund", version: 3 }),
    });
    expect((await listHistory(deps(), "demo", ref.escrowId)).items.map((e) => e.type)).toEqual([
      "created",
      "funded",
      "window_elapsed",
    ]);
    // A delivery after the deadline loses, as it would to the wait's own timeout.
    await expect(act(ref, { action: "delivery", actorId: "u-s" })).rejects.toMatchObject({
      kind: "invalid_transition",
    });
  });

  it("whose task is retried after the deadline applies it at once, instead of waiting a whole window again", async () => {
    const ref = await create({ windows: { reminderSeconds: 0 } });
    await holdFunds(deps(), ref);
    const deadline = Date.parse((await getEscrow(deps(), "demo", ref.escrowId)).deadline as string);
    setClock(deadline + 5 * 60_000); // Lambda was down from the hold until after the deadline
    await beginWait(deps(), { ...ref, seenVersion: 2, taskToken: "t-late", execution: ref.escrowId });
    expect(workflow.signals).toEqual([
      { token: "t-late", step: expect.objectContaining({ outcome: "refund", version: 3 }) },
    ]);
  });
});

describe("an event that was never published", () => {
  it("a wait's event is owed and published later by the reconciler, with the same id", async () => {
    const ref = await create();
    await holdFunds(deps(), ref);
    events.fails = true;
    await beginWait(deps(), { ...ref, seenVersion: 2, taskToken: "t-owed", execution: ref.escrowId });
    // The wait began all the same (notifications never stop the workflow); its watermark is behind.
    expect(await table.store.waits.get("demo", ref.escrowId)).toMatchObject({
      token: "t-owed",
      published: 1,
    });
    expect((await table.store.escrows.get("demo", ref.escrowId))?.marks).toMatchObject({ owed: true });
    // While SNS still fails it stays owed, and is looked at again next period.
    expect((await reconcileIn(1)).published).toBe(0);
    expect(await due(PERIOD)).toContain(ref.escrowId);
    events.fails = false;
    expect((await reconcileIn(PERIOD)).published).toBe(1);
    expect(events.of(ref.escrowId)).toEqual([{ id: eventId(ref.escrowId, 2), type: "escrow.funded" }]);
    expect(await table.store.waits.get("demo", ref.escrowId)).toMatchObject({ published: 2 });
    expect((await table.store.escrows.get("demo", ref.escrowId))?.marks).toMatchObject({ owed: false });
    expect((await reconcileIn(PERIOD)).published).toBe(0);
  });

  it("an outcome whose announcement failed is published later, with the same ids", async () => {
    const ref = await create();
    await holdFunds(deps(), ref);
    await act(ref, { action: "cancellation", actorId: "u-b" });
    events.fails = true;
    await settle(deps(), ref);
    expect((await getEscrow(deps(), "demo", ref.escrowId)).status).toBe("REFUNDED");
    expect(await due()).toContain(ref.escrowId);
    events.fails = false;
    await reconcileIn(1);
    // Every step since the last announced: funded (no wait announced it) and refunded.
    expect(events.of(ref.escrowId)).toEqual([
      { id: eventId(ref.escrowId, 2), type: "escrow.funded" },
      { id: eventId(ref.escrowId, 5), type: "escrow.refunded" },
    ]);
    expect(await due(DAY)).not.toContain(ref.escrowId);
  });
});

describe("a step that stays stuck (issue #16, finding 4)", () => {
  it("is retried, never handed to ops: ops are told after 15 minutes, once, and again when it recovers", async () => {
    const ref = await waitingForDelivery();
    await act(ref, { action: "delivery", actorId: "u-s" });
    await beginWait(deps(), { ...ref, seenVersion: 3, taskToken: "t-c", execution: ref.escrowId });
    await act(ref, { action: "confirmation", actorId: "u-b" });
    // The release keeps failing (the provider is down): the execution runs, retrying, for half an hour.
    for (let run = 0; run < 6; run++) await reconcileIn(PERIOD);
    const failing = events.alerts.filter((a) => a.type === "escrow.dependency_failing");
    expect(failing).toHaveLength(1);
    expect(failing[0]).toMatchObject({ escrowId: ref.escrowId, status: "DELIVERED" });
    expect(await getEscrow(deps(), "demo", ref.escrowId)).toMatchObject({ needsOpsAttention: false });
    // The provider answers again: the release goes through, and ops hear so.
    await settle(deps(), { ...ref, execution: ref.escrowId });
    await reconcileIn(1);
    expect(events.alerts.map((a) => a.type)).toEqual([
      "escrow.dependency_failing",
      "escrow.dependency_recovered",
    ]);
    expect(new Set(events.alerts.map((a) => a.id)).size).toBe(2);
    await reconcileIn(DAY);
    expect(events.alerts).toHaveLength(2);
    expect(DEPENDENCY_ALERT_AFTER_SECONDS).toBe(900);
  });
});

describe("a backlog", () => {
  it("is worked through page by page within each run's budget: delayed, never dropped", async () => {
    const refs = [];
    workflow.refuse.start = true;
    for (let i = 0; i < 24; i++) refs.push(await create());
    workflow.refuse.start = false;
    // A run whose budget allows one page of one mark per shard (16 shards: fewer than the 24 marks).
    const first = await reconcileIn(1, { pageSize: 1, budgetMs: 0 });
    expect(first.backlog).toBe(true);
    expect(first.started).toBeLessThanOrEqual(16);
    let started = first.started;
    let lag = first.maxLagSeconds;
    for (let run = 0; run < 30 && started < 24; run++) {
      const report = await reconcileIn(PERIOD, { pageSize: 1, budgetMs: 0 });
      started += report.started;
      lag = Math.max(lag, report.maxLagSeconds);
    }
    expect(started).toBe(24);
    expect(new Set(workflow.names)).toEqual(new Set(refs.map((r) => r.escrowId)));
    // The delay is reported: the most overdue mark waited at least one period.
    expect(lag).toBeGreaterThanOrEqual(PERIOD);
  });
});

describe("a reminder's visit (issue #21: DescribeExecution is a few calls a second per account)", () => {
  it("publishes the reminder from the record and asks Step Functions nothing while the wait is not overdue", async () => {
    const ref = await waitingForDelivery();
    // The delivery reminder is due a day before the 7-day deadline.
    const report = await reconcileIn(6 * DAY + 1);
    expect(report.reminded).toBe(1);
    expect(events.events.filter((e) => e.type === "escrow.deadline_approaching")).toHaveLength(1);
    expect(workflow.described).toEqual([]);
    // At the deadline (plus the grace) the record is overdue if nothing moved it: then the execution is asked about.
    await reconcileIn(DAY + RECONCILE_GRACE_SECONDS);
    expect(workflow.described).toContain(ref.escrowId);
  });
});
