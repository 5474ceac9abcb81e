import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { movementKeys } from "../../functions/app/workflow-tasks";
import { eventId } from "../../functions/domain/events";
import { executionNames, INITIAL_STEP } from "../../functions/domain/workflow-step";
import type { WorkflowEngine } from "../../functions/ports/workflow";
import { type Harness, startHarness } from "./harness";

/**
 * API.md "When dependencies fail" on the real state machine: no escrow is
 * stranded and money moves exactly once, whatever failed, once it recovers.
 * Long waits park in the record and are continued from it; a start or a signal
 * Step Functions refused, an execution that failed after its retries and an
 * event SNS refused are all brought back by the reconciler.
 */
let h: Harness;

beforeAll(async () => {
  h = await startHarness("recovery");
});
afterAll(async () => h?.close());
beforeEach(() => {
  h.settings.parkAfterSeconds = undefined;
  h.faults.publishFails = false;
  h.faults.failingTasks.clear();
  h.payments.faultSwitch.clear();
});

const ev = (id: string, version: number, type: string) => ({ id: eventId(id, version), type });
/** Step Functions refusing a call (throttled, or down). */
const refusing = (call: "start" | "signal"): WorkflowEngine => ({
  ...h.deps.workflow,
  [call]: async () => {
    throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
  },
});

/** The escrow's wait once it is parked at `version`. */
const parkedWait = (id: string, version: number) =>
  h.until(async () => {
    const wait = await h.store.getWait(h.tenant, id);
    return wait?.parked && wait.seenVersion === version && wait;
  }, `${id} parked at version ${version}`);

describe("a long wait parks in the record", () => {
  it("the execution ends Parked; the action starts the continuation and the escrow completes, money moved once", async () => {
    h.settings.parkAfterSeconds = 2;
    const id = await h.create({ windows: { deliverySeconds: 10, confirmationSeconds: 10 } });
    // The delivery wait (10 s) is longer than the lease (2 s): the execution ends, the wait stays in the record.
    expect((await h.finished(id)).status).toBe("SUCCEEDED");
    expect(await h.statesEntered(id)).toEqual([
      "HoldFunds",
      "RouteAfterHold",
      "AwaitDelivery",
      "RouteAfterDelivery",
      "Parked",
    ]);
    const funded = await h.escrow(id);
    expect(funded.status).toBe("FUNDED");
    // BeginWait records the parked wait (keeping its token) before it tells the execution to park.
    expect(await parkedWait(id, 2)).toMatchObject({
      token: expect.any(String),
      parked: true,
      seenVersion: 2,
      due: funded.deadline,
      published: 2,
    });
    expect(h.eventsOf(id)).toEqual([ev(id, 2, "escrow.funded")]);

    await h.act(id, { action: "delivery", actorId: "u-s" });
    const afterDelivery = executionNames.afterPark(id, 2);
    expect(afterDelivery).toBe(`${id}-p2`);
    expect((await h.finished(afterDelivery)).status).toBe("SUCCEEDED");
    // The continuation resumes from the record and parks again in the next long wait.
    expect(await h.statesEntered(afterDelivery)).toEqual([
      "HoldFunds",
      "ResumeFromRecord",
      "AwaitBuyerConfirmation",
      "RouteAfterConfirmation",
      "Parked",
    ]);
    expect(await parkedWait(id, 3)).toMatchObject({ parked: true, seenVersion: 3 });

    await h.act(id, { action: "confirmation", actorId: "u-b" });
    const afterConfirmation = `${id}-p3`;
    expect((await h.finished(afterConfirmation)).status).toBe("SUCCEEDED");
    expect(await h.statesEntered(afterConfirmation)).toEqual([
      "HoldFunds",
      "ResumeFromRecord",
      "ReleaseToSeller",
    ]);
    expect(await h.escrow(id)).toMatchObject({ status: "RELEASED", settlement: { paidToSeller: 9700 } });
    expect(h.payments.book.of(id).map((m) => [m.type, m.amount])).toEqual([
      ["hold", 10_000],
      ["payout", 9700],
      ["fee", 300],
    ]);
    expect(h.eventsOf(id)).toEqual([
      ev(id, 2, "escrow.funded"),
      ev(id, 3, "escrow.delivered"),
      ev(id, 6, "escrow.released"),
    ]);
    // A second identical start (the reconciler racing the action) is refused by Step Functions itself.
    expect(
      await h.deps.workflow.start({
        tenantId: h.tenant,
        escrowId: id,
        name: afterDelivery,
        step: { outcome: "delivered", version: 3, timeoutSeconds: 10 },
      }),
    ).toBe(false);
    expect((await h.executionsOf(id)).map((e) => e.name)).toEqual([id, afterDelivery, afterConfirmation]);
    // No execution is open while the escrow rests.
    expect((await h.executionsOf(id)).every((e) => e.status === "SUCCEEDED")).toBe(true);
  });

  it("a parked wait whose deadline passes is completed by the reconciler", async () => {
    h.settings.parkAfterSeconds = 2;
    const id = await h.create({ windows: { deliverySeconds: 3 } });
    expect((await h.finished(id)).status).toBe("SUCCEEDED");
    expect((await h.statesEntered(id)).at(-1)).toBe("Parked");
    await parkedWait(id, 2);
    const { deadline } = await h.escrow(id);
    // Before the deadline the reconciler leaves it alone.
    expect((await h.reconcile()).continued).toBe(0);
    await h.until(async () => Date.now() > Date.parse(deadline ?? ""), "the delivery deadline", 10_000);
    const report = await h.reconcile();
    expect(report).toMatchObject({ continued: 1, failed: 0 });
    const continuation = `${id}-p2`;
    expect((await h.finished(continuation)).status).toBe("SUCCEEDED");
    expect(await h.statesEntered(continuation)).toEqual(["HoldFunds", "ResumeFromRecord", "RefundBuyer"]);
    expect(await h.escrow(id)).toMatchObject({
      status: "REFUNDED",
      settlement: { refundedToBuyer: 10_000, paidToSeller: 0 },
    });
    expect(h.eventsOf(id)).toEqual([ev(id, 2, "escrow.funded"), ev(id, 5, "escrow.refunded")]);
    // The seller is too late: the record decided.
    await expect(h.act(id, { action: "delivery", actorId: "u-s" })).rejects.toMatchObject({
      kind: "invalid_transition",
    });
  });
});

describe("the reconciler", () => {
  it("starts the first execution that Step Functions refused at creation (the 201 stands)", async () => {
    const id = await h.create({}, { workflow: refusing("start") });
    expect(await h.executionsOf(id)).toEqual([]);
    expect(await h.escrow(id)).toMatchObject({ status: "PENDING_FUNDS" });
    const dueSoon = await h.store.listDue(new Date(Date.now() + 61_000).toISOString(), 1000);
    expect(dueSoon.map((d) => d.escrowId)).toContain(id);
    // One grace period later (the start may only have been slow), the reconciler starts it.
    const report = await h.reconcile(61_000);
    expect(report.started).toBe(1);
    await h.waitingIn(id, "AwaitDelivery");
    expect(await h.executionsOf(id)).toEqual([{ name: id, status: "RUNNING" }]);
    const input = JSON.parse((await h.sfn.describeExecution(h.arnOf(id))).input);
    expect(input).toEqual({ tenantId: h.tenant, escrowId: id, step: INITIAL_STEP });
    await h.act(id, { action: "delivery", actorId: "u-s" });
    await h.waitingIn(id, "AwaitBuyerConfirmation");
    await h.act(id, { action: "confirmation", actorId: "u-b" });
    await h.finished(id);
    expect((await h.escrow(id)).status).toBe("RELEASED");
    expect(h.eventsOf(id).map((e) => e.type)).toEqual([
      "escrow.funded",
      "escrow.delivered",
      "escrow.released",
    ]);
  });

  it("signals a claim whose SendTaskSuccess was refused (the 202 stands), and the escrow settles", async () => {
    const id = await h.delivered();
    const answer = await h.act(
      id,
      { action: "confirmation", actorId: "u-b" },
      { workflow: refusing("signal") },
    );
    expect(answer).toMatchObject({ statusCode: 202, escrow: { pendingAction: "confirmation" } });
    // The workflow did not hear of it; the escrow is marked due for the reconciler.
    expect((await h.sfn.describeExecution(h.arnOf(id))).status).toBe("RUNNING");
    expect((await h.store.listDue(new Date().toISOString(), 1000)).map((d) => d.escrowId)).toContain(id);
    const report = await h.reconcile();
    expect(report.signalled).toBeGreaterThanOrEqual(1);
    expect((await h.finished(id)).status).toBe("SUCCEEDED");
    expect((await h.statesEntered(id)).slice(-3)).toEqual([
      "AwaitBuyerConfirmation",
      "RouteAfterConfirmation",
      "ReleaseToSeller",
    ]);
    expect((await h.escrow(id)).status).toBe("RELEASED");
    expect(h.payments.book.of(id).filter((m) => m.type === "payout")).toHaveLength(1);
  });

  it.each([
    ["its Lambda keeps failing", "handler"],
    ["the provider's answers keep getting lost", "ambiguous"],
  ] as const)(
    "restarts an execution left to it (LeftToReconciler) when SettleEscrow failed because %s; the payout is made once",
    async (_, mode) => {
      const id = await h.delivered();
      if (mode === "handler") h.faults.failingTasks.add("SettleEscrow");
      else h.payments.faultSwitch.set("payments", "payout", "ambiguous");
      await h.act(id, { action: "confirmation", actorId: "u-b" });
      const failed = await h.finished(id);
      expect(failed).toMatchObject({ status: "FAILED", error: "EscrowLeftToReconciler" });
      const entered = await h.statesEntered(id);
      expect(entered.filter((s) => s === "ReleaseToSeller")).toHaveLength(7); // the first try and 6 retries
      expect(entered.at(-1)).toBe("LeftToReconciler");
      expect(await h.escrow(id)).toMatchObject({ status: "DELIVERED", pendingAction: "confirmation" });

      // The fault is gone; the reconciler continues the escrow from its record.
      h.faults.failingTasks.clear();
      h.payments.faultSwitch.clear();
      const report = await h.reconcile();
      expect(report.restarted).toBe(1);
      const executions = await h.executionsOf(id);
      expect(executions.map((e) => e.name)).toEqual([
        id,
        expect.stringMatching(new RegExp(`^${id}-r\\d+x1$`)),
      ]);
      const restarted = executions[1]?.name as string;
      expect((await h.finished(restarted)).status).toBe("SUCCEEDED");
      expect(await h.statesEntered(restarted)).toEqual(["HoldFunds", "ResumeFromRecord", "ReleaseToSeller"]);
      expect(await h.escrow(id)).toMatchObject({ status: "RELEASED", settlement: { paidToSeller: 9700 } });
      // Money moved once: every payout call carried the one key, and the provider recorded it once.
      const payoutKey = movementKeys.transfer(id, "payout", 1);
      const payoutCalls = h.payments.callsOf(id, "payout");
      expect(new Set(payoutCalls.map((c) => c.key))).toEqual(new Set([payoutKey]));
      expect(payoutCalls.length).toBe(mode === "ambiguous" ? 8 : 1);
      expect(h.payments.book.of(id).filter((m) => m.type === "payout")).toEqual([
        expect.objectContaining({ key: payoutKey, amount: 9700 }),
      ]);
      expect(h.payments.book.held(id)).toBe(0);
      // The released event was published, with the same id on every delivery; earlier events not repeated.
      const released = h.eventsOf(id).filter((e) => e.type === "escrow.released");
      expect(released.length).toBeGreaterThanOrEqual(1);
      expect(new Set(released.map((e) => e.id))).toEqual(new Set([eventId(id, 6)]));
      expect(h.eventsOf(id).filter((e) => e.type !== "escrow.released")).toEqual([
        ev(id, 2, "escrow.funded"),
        ev(id, 3, "escrow.delivered"),
      ]);
      // Seen again on the next run (the look-back overlaps), it is not restarted twice.
      expect((await h.reconcile()).restarted).toBe(0);
      expect(await h.executionsOf(id)).toHaveLength(2);
    },
  );

  it("publishes later, with the same id, an event SNS refused; the money did not wait for it", async () => {
    h.faults.publishFails = true;
    const id = await h.create();
    // The wait began all the same; escrow.funded is owed.
    await h.waitingIn(id, "AwaitDelivery");
    expect(h.eventsOf(id)).toEqual([]);
    expect(await h.store.getWait(h.tenant, id)).toMatchObject({ owedFrom: 2, published: 1 });
    h.faults.publishFails = false;
    await h.act(id, { action: "delivery", actorId: "u-s" });
    await h.waitingIn(id, "AwaitBuyerConfirmation");
    // The next wait announces what is still owed first, in order.
    expect(h.eventsOf(id)).toEqual([ev(id, 2, "escrow.funded"), ev(id, 3, "escrow.delivered")]);
    // Nothing owed: the wait is due only for its reminder (a day before the confirmation deadline).
    const { deadline } = await h.escrow(id);
    expect(await h.store.getWait(h.tenant, id)).toMatchObject({
      owedFrom: null,
      due: new Date(Date.parse(deadline as string) - 86_400_000).toISOString(),
      published: 3,
    });
    expect((await h.reconcile(61_000)).published).toBe(0);

    // SNS fails again just as the money moves: the release goes through, its event is owed.
    h.faults.publishFails = true;
    await h.act(id, { action: "confirmation", actorId: "u-b" });
    expect((await h.finished(id)).status).toBe("SUCCEEDED");
    expect(await h.escrow(id)).toMatchObject({ status: "RELEASED" });
    expect(h.eventsOf(id).map((e) => e.type)).not.toContain("escrow.released");
    h.faults.publishFails = false;
    expect((await h.reconcile()).published).toBe(1);
    // Every event reached the marketplace, each id always with the same type.
    const byId = new Map(h.eventsOf(id).map((e) => [e.id, e.type]));
    expect(Object.fromEntries(byId)).toEqual({
      [eventId(id, 2)]: "escrow.funded",
      [eventId(id, 3)]: "escrow.delivered",
      [eventId(id, 6)]: "escrow.released",
    });
    expect((await h.reconcile(3_600_000)).published).toBe(0);
  });
});
