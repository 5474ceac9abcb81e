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
import * as rec from "./reconcile-fixture";

/**
 * The reconciler (see reconcile.test.ts) on what is overdue: escrows waiting
 * for ops, waits whose deadline passed, events never published, steps that
 * stay stuck, a backlog of marks, and the visits reminders alone make.
 */
rec.useReconciler();

describe("an escrow waiting for ops", () => {
  it("is not visited again until ops act, and no dependency is reported failing for it", async () => {
    const ref = await rec.waitingForDelivery();
    await rec.act(ref, { action: "delivery", actorId: "u-s" });
    await rec.act(ref, { action: "confirmation", actorId: "u-b" });
    rec.payments.rejectPayouts = true;
    await expect(settle(rec.deps(), { ...ref, execution: ref.escrowId })).rejects.toThrow(PayoutRejected);
    await escalateToOps(rec.deps(), {
      ...ref,
      error: "PayoutRejected",
      cause: "closed",
      execution: ref.escrowId,
    });
    rec.stop(ref.escrowId, "ABORTED"); // its execution ended after parking for ops
    const alerts = rec.events.alerts.length;
    await rec.reconcileIn(1);
    // A month of reconciler runs: nothing to visit, nothing reported, nothing restarted.
    for (let day = 0; day < 30; day++) {
      expect(await rec.reconcileIn(DAY)).toMatchObject({ visited: 0, alerted: 0, restarted: 0 });
    }
    expect(rec.events.alerts.length).toBe(alerts);
    expect(await rec.due(60 * DAY)).not.toContain(ref.escrowId);
    expect(await getEscrow(rec.deps(), "demo", ref.escrowId)).toMatchObject({
      needsOpsAttention: true,
      attentionReason: "payout_rejected",
    });
  });
});

describe("a park whose signal failed (the execution retries its wait)", () => {
  const parkingDeps = () => ({ ...rec.deps(), parkAfterSeconds: 60 });

  it("gets no second execution beside it: the action leaves the step to it, and the reconciler starts the continuation only once it has ended", async () => {
    const ref = await rec.create();
    await holdFunds(rec.deps(), ref);
    // The park is recorded, then Step Functions refuses its signal: the task fails and will be retried.
    rec.workflow.refuse.signal = true;
    await expect(
      beginWait(parkingDeps(), { ...ref, seenVersion: 2, taskToken: "t-p1", execution: ref.escrowId }),
    ).rejects.toThrow("Rate exceeded");
    rec.workflow.refuse.signal = false;
    rec.workflow.used.add("t-p1"); // that attempt's token ended with it
    expect(await rec.table.store.waits.get("demo", ref.escrowId)).toMatchObject({ parked: true });
    expect(rec.running(ref.escrowId)).toHaveLength(1);
    // The seller delivers while the execution waits to retry: 202, and no continuation beside it.
    await rec.act(ref, { action: "delivery", actorId: "u-s" });
    expect(await rec.reconcileIn(1)).toMatchObject({ continued: 0, restarted: 0 });
    expect(rec.workflow.names).toEqual([ref.escrowId]);
    // Its retry reads the record and carries the delivery on, in the same execution.
    await beginWait(parkingDeps(), { ...ref, seenVersion: 2, taskToken: "t-p2", execution: ref.escrowId });
    expect(rec.workflow.signals.at(-1)).toEqual({
      token: "t-p2",
      step: expect.objectContaining({ outcome: "delivered", version: 3 }),
    });
    expect(rec.workflow.names).toEqual([ref.escrowId]);
  });

  it("once that execution has ended (stopped from outside), the reconciler continues from the record", async () => {
    const ref = await rec.create();
    await holdFunds(rec.deps(), ref);
    rec.workflow.refuse.signal = true;
    await expect(
      beginWait(parkingDeps(), { ...ref, seenVersion: 2, taskToken: "t-p3", execution: ref.escrowId }),
    ).rejects.toThrow("Rate exceeded");
    rec.workflow.refuse.signal = false;
    rec.workflow.used.add("t-p3");
    await rec.act(ref, { action: "delivery", actorId: "u-s" });
    rec.stop(ref.escrowId, "ABORTED");
    expect(await rec.reconcileIn(1)).toMatchObject({ continued: 1 });
    expect(rec.startsOf(ref.escrowId).at(-1)).toEqual([`${ref.escrowId}-p2`, "delivered", 3]);
    expect(rec.running(ref.escrowId).map(([name]) => name)).toEqual([`${ref.escrowId}-p2`]);
  });
});

describe("a live wait whose deadline passed without its timeout", () => {
  it("is ended by the reconciler with the deadline's outcome: an outage that made Step Functions retry the wait's task does not move the deadline", async () => {
    const ref = await rec.waitingForDelivery({ windows: { reminderSeconds: 0 } });
    const deadline = Date.parse((await getEscrow(rec.deps(), "demo", ref.escrowId)).deadline as string);
    // Its timer started again with the retried attempt: the execution still waits after the deadline.
    expect((await rec.reconcileIn(1)).signalled).toBe(0);
    rec.setClock(deadline - 1000);
    expect((await rec.reconcileIn(0)).signalled).toBe(0);
    await rec.reconcileIn(RECONCILE_GRACE_SECONDS + 2);
    expect(rec.workflow.signals.at(-1)).toEqual({
      token: `t-${ref.escrowId}`,
      step: expect.objectContaining({ outcome: "refund", version: 3 }),
    });
    expect((await listHistory(rec.deps(), "demo", ref.escrowId)).items.map((e) => e.type)).toEqual([
      "created",
      "funded",
      "window_elapsed",
    ]);
    // A delivery after the deadline loses, as it would to the wait's own timeout.
    await expect(rec.act(ref, { action: "delivery", actorId: "u-s" })).rejects.toMatchObject({
      kind: "invalid_transition",
    });
  });

  it("whose task is retried after the deadline applies it at once, instead of waiting a whole window again", async () => {
    const ref = await rec.create({ windows: { reminderSeconds: 0 } });
    await holdFunds(rec.deps(), ref);
    const deadline = Date.parse((await getEscrow(rec.deps(), "demo", ref.escrowId)).deadline as string);
    rec.setClock(deadline + 5 * 60_000); // Lambda was down from the hold until after the deadline
    await beginWait(rec.deps(), { ...ref, seenVersion: 2, taskToken: "t-late", execution: ref.escrowId });
    expect(rec.workflow.signals).toEqual([
      { token: "t-late", step: expect.objectContaining({ outcome: "refund", version: 3 }) },
    ]);
  });
});

describe("an event that was never published", () => {
  it("a wait's event is owed and published later by the reconciler, with the same id", async () => {
    const ref = await rec.create();
    await holdFunds(rec.deps(), ref);
    rec.events.fails = true;
    await beginWait(rec.deps(), { ...ref, seenVersion: 2, taskToken: "t-owed", execution: ref.escrowId });
    // The wait began all the same (notifications never stop the workflow); its watermark is behind.
    expect(await rec.table.store.waits.get("demo", ref.escrowId)).toMatchObject({
      token: "t-owed",
      published: 1,
    });
    expect((await rec.table.store.escrows.get("demo", ref.escrowId))?.marks).toMatchObject({ owed: true });
    // While SNS still fails it stays owed, and is looked at again next period.
    expect((await rec.reconcileIn(1)).published).toBe(0);
    expect(await rec.due(rec.PERIOD)).toContain(ref.escrowId);
    rec.events.fails = false;
    expect((await rec.reconcileIn(rec.PERIOD)).published).toBe(1);
    expect(rec.events.of(ref.escrowId)).toEqual([{ id: eventId(ref.escrowId, 2), type: "escrow.funded" }]);
    expect(await rec.table.store.waits.get("demo", ref.escrowId)).toMatchObject({ published: 2 });
    expect((await rec.table.store.escrows.get("demo", ref.escrowId))?.marks).toMatchObject({ owed: false });
    expect((await rec.reconcileIn(rec.PERIOD)).published).toBe(0);
  });

  it("an outcome whose announcement failed is published later, with the same ids", async () => {
    const ref = await rec.create();
    await holdFunds(rec.deps(), ref);
    await rec.act(ref, { action: "cancellation", actorId: "u-b" });
    rec.events.fails = true;
    await settle(rec.deps(), ref);
    expect((await getEscrow(rec.deps(), "demo", ref.escrowId)).status).toBe("REFUNDED");
    expect(await rec.due()).toContain(ref.escrowId);
    rec.events.fails = false;
    await rec.reconcileIn(1);
    // Every step since the last announced: funded (no wait announced it) and refunded.
    expect(rec.events.of(ref.escrowId)).toEqual([
      { id: eventId(ref.escrowId, 2), type: "escrow.funded" },
      { id: eventId(ref.escrowId, 5), type: "escrow.refunded" },
    ]);
    expect(await rec.due(DAY)).not.toContain(ref.escrowId);
  });
});

describe("a step that stays stuck (issue #16, finding 4)", () => {
  it("is retried, never handed to ops: ops are told after 15 minutes, once, and again when it recovers", async () => {
    const ref = await rec.waitingForDelivery();
    await rec.act(ref, { action: "delivery", actorId: "u-s" });
    await beginWait(rec.deps(), { ...ref, seenVersion: 3, taskToken: "t-c", execution: ref.escrowId });
    await rec.act(ref, { action: "confirmation", actorId: "u-b" });
    // The release keeps failing (the provider is down): the execution runs, retrying, for half an hour.
    for (let run = 0; run < 6; run++) await rec.reconcileIn(rec.PERIOD);
    const failing = rec.events.alerts.filter((a) => a.type === "escrow.dependency_failing");
    expect(failing).toHaveLength(1);
    expect(failing[0]).toMatchObject({ escrowId: ref.escrowId, status: "DELIVERED" });
    expect(await getEscrow(rec.deps(), "demo", ref.escrowId)).toMatchObject({ needsOpsAttention: false });
    // The provider answers again: the release goes through, and ops hear so.
    await settle(rec.deps(), { ...ref, execution: ref.escrowId });
    await rec.reconcileIn(1);
    expect(rec.events.alerts.map((a) => a.type)).toEqual([
      "escrow.dependency_failing",
      "escrow.dependency_recovered",
    ]);
    expect(new Set(rec.events.alerts.map((a) => a.id)).size).toBe(2);
    await rec.reconcileIn(DAY);
    expect(rec.events.alerts).toHaveLength(2);
    expect(DEPENDENCY_ALERT_AFTER_SECONDS).toBe(900);
  });
});

describe("a backlog", () => {
  it("is worked through page by page within each run's budget: delayed, never dropped", async () => {
    const refs = [];
    rec.workflow.refuse.start = true;
    for (let i = 0; i < 24; i++) refs.push(await rec.create());
    rec.workflow.refuse.start = false;
    // A run whose budget allows one page of one mark per shard (16 shards: fewer than the 24 marks).
    const first = await rec.reconcileIn(1, { pageSize: 1, budgetMs: 0 });
    expect(first.backlog).toBe(true);
    expect(first.started).toBeLessThanOrEqual(16);
    let started = first.started;
    let lag = first.maxLagSeconds;
    for (let run = 0; run < 30 && started < 24; run++) {
      const report = await rec.reconcileIn(rec.PERIOD, { pageSize: 1, budgetMs: 0 });
      started += report.started;
      lag = Math.max(lag, report.maxLagSeconds);
    }
    expect(started).toBe(24);
    expect(new Set(rec.workflow.names)).toEqual(new Set(refs.map((r) => r.escrowId)));
    // The delay is reported: the most overdue mark waited at least one period.
    expect(lag).toBeGreaterThanOrEqual(rec.PERIOD);
  });
});

describe("a reminder's visit (issue #21: DescribeExecution is a few calls a second per account)", () => {
  it("publishes the reminder from the record and asks Step Functions nothing while the wait is not overdue", async () => {
    const ref = await rec.waitingForDelivery();
    // The delivery reminder is due a day before the 7-day deadline.
    const report = await rec.reconcileIn(6 * DAY + 1);
    expect(report.reminded).toBe(1);
    expect(rec.events.events.filter((e) => e.type === "escrow.deadline_approaching")).toHaveLength(1);
    expect(rec.workflow.described).toEqual([]);
    // At the deadline (plus the grace) the record is overdue if nothing moved it: then the execution is asked about.
    await rec.reconcileIn(DAY + RECONCILE_GRACE_SECONDS);
    expect(rec.workflow.described).toContain(ref.escrowId);
  });
});
