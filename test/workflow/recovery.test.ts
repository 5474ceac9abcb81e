import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { movementKeys } from "../../functions/app/workflow-tasks";
import { eventId } from "../../functions/domain/events";
import { executionNames, INITIAL_STEP } from "../../functions/domain/workflow-step";
import type { WorkflowEngine } from "../../functions/ports/workflow";
import { dueIds } from "../app/fixture";
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
    const wait = await h.store.waits.get(h.tenant, id);
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
    // BeginWait records the parked wait (keeping its token) before it tells the execution to park; the
    // escrow is due at its deadline (nothing else ends a parked wait).
    expect(await parkedWait(id, 2)).toMatchObject({
      token: expect.any(String),
      parked: true,
      seenVersion: 2,
      published: 2,
    });
    expect((await h.store.escrows.get(h.tenant, id))?.marks).toMatchObject({
      parked: true,
      due: funded.deadline,
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
    expect(await dueIds(h.store, new Date().toISOString())).toContain(id);
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
    expect(await dueIds(h.store, new Date().toISOString())).toContain(id);
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
    "retries SettleEscrow for as long as %s, never failing the execution; the payout is made once",
    async (_, mode) => {
      const id = await h.delivered();
      if (mode === "handler") h.faults.failingTasks.add("SettleEscrow");
      else h.payments.faultSwitch.set("payments", "payout", "ambiguous");
      await h.act(id, { action: "confirmation", actorId: "u-b" });
      // Far more tries than the old six: transient means retry, forever (ARCHITECTURE.md v1.2 decision 3).
      await h.until(
        async () => (await h.statesEntered(id)).filter((s) => s === "ReleaseToSeller").length >= 12,
        "a dozen tries of ReleaseToSeller",
        30_000,
      );
      expect((await h.sfn.describeExecution(h.arnOf(id))).status).toBe("RUNNING");
      expect(await h.escrow(id)).toMatchObject({
        status: "DELIVERED",
        pendingAction: "confirmation",
        needsOpsAttention: false,
      });

      // The fault is gone: the same execution goes on. Nothing was left to the reconciler or to ops.
      h.faults.failingTasks.clear();
      h.payments.faultSwitch.clear();
      expect((await h.finished(id)).status).toBe("SUCCEEDED");
      expect((await h.statesEntered(id)).at(-1)).toBe("ReleaseToSeller");
      expect((await h.executionsOf(id)).map((e) => e.name)).toEqual([id]);
      expect(await h.escrow(id)).toMatchObject({ status: "RELEASED", settlement: { paidToSeller: 9700 } });
      // Money moved once: every payout call carried the one key, named after the intent, recorded once.
      const intent = (await h.store.escrows.get(h.tenant, id))?.history.find((e) => e.type === "settling")
        ?.v as number;
      const payoutKey = movementKeys.transfer(id, "payout", intent);
      const payoutCalls = h.payments.callsOf(id, "payout");
      expect(new Set(payoutCalls.map((c) => c.key))).toEqual(new Set([payoutKey]));
      if (mode === "ambiguous") expect(payoutCalls.length).toBeGreaterThanOrEqual(12);
      expect(h.payments.book.of(id).filter((m) => m.type === "payout")).toEqual([
        expect.objectContaining({ key: payoutKey, amount: 9700 }),
      ]);
      expect(h.payments.book.held(id)).toBe(0);
      expect(h.eventsOf(id)).toEqual([
        ev(id, 2, "escrow.funded"),
        ev(id, 3, "escrow.delivered"),
        ev(id, 6, "escrow.released"),
      ]);
    },
  );

  it("publishes later, with the same id, an event SNS refused; the money did not wait for it", async () => {
    h.faults.publishFails = true;
    const id = await h.create();
    // The wait began all the same; escrow.funded is owed.
    await h.waitingIn(id, "AwaitDelivery");
    expect(h.eventsOf(id)).toEqual([]);
    expect(await h.store.waits.get(h.tenant, id)).toMatchObject({ published: 1 });
    expect((await h.store.escrows.get(h.tenant, id))?.marks).toMatchObject({ owed: true });
    h.faults.publishFails = false;
    await h.act(id, { action: "delivery", actorId: "u-s" });
    await h.waitingIn(id, "AwaitBuyerConfirmation");
    // The next wait announces what is still owed first, in order.
    expect(h.eventsOf(id)).toEqual([ev(id, 2, "escrow.funded"), ev(id, 3, "escrow.delivered")]);
    expect(await h.store.waits.get(h.tenant, id)).toMatchObject({ published: 3 });
    // The reconciler, asked, finds nothing more owed; then the escrow is due only for its reminder.
    expect((await h.reconcile()).published).toBe(0);
    const { deadline } = await h.escrow(id);
    expect((await h.store.escrows.get(h.tenant, id))?.marks).toMatchObject({
      owed: false,
      due: new Date(Date.parse(deadline as string) - 86_400_000).toISOString(),
    });

    // SNS fails again just as the money moves: the release goes through, its event is owed.
    h.faults.publishFails = true;
    await h.act(id, { action: "confirmation", actorId: "u-b" });
    expect((await h.finished(id)).status).toBe("SUCCEEDED");
    expect(await h.escrow(id)).toMatchObject({ status: "RELEASED" });
    expect(h.eventsOf(id).map((e) => e.type)).not.toContain("escrow.released");
    h.faults.publishFails = false;
    // Owed since the last wait: versions 4 to 6 (the confirmation, the intent and the release; only the
    // release announces an event).
    expect((await h.reconcile()).published).toBe(3);
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
