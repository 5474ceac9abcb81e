import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamoStore } from "../../functions/adapters/dynamo-store";
import { requestHash } from "../../functions/api/request-hash";
import { createEscrow, getEscrow, performAction } from "../../functions/app/escrow-service";
import { reconcile } from "../../functions/app/reconcile";
import { beginWait, holdFunds, settle } from "../../functions/app/workflow-tasks";
import { eventId } from "../../functions/domain/events";
import { DAY } from "../../functions/domain/windows";
import { PARK_AFTER_SECONDS } from "../../functions/domain/workflow-step";
import type { EscrowStore } from "../../functions/ports/escrow-store";
import { startDynalite } from "../support/dynalite";
import { RecordingPublisher, RecordingWorkflow, TestPayments } from "./fakes";

/**
 * A deposit held through a lease of years (ARCHITECTURE v1.1 decision 3),
 * driven by the clock the service reads rather than by waiting: no execution
 * is open while the deposit is at rest, and at the lease's end the reconciler
 * continues the escrow from its record.
 */
let db: Awaited<ReturnType<typeof startDynalite>>;
let store: EscrowStore;
const payments = new TestPayments();
const events = new RecordingPublisher();
const workflow = new RecordingWorkflow();
let clock = Date.parse("2026-12-01T09:00:00.000Z");
const deps = () => ({ store, payments, events, workflow, now: () => new Date(clock) });
const YEAR = 365 * DAY;
/** An execution ended (as its Parked state ends it after a park). */
const ended = (name: string) => {
  const e = workflow.executions.get(name);
  if (e) e.status = "SUCCEEDED";
};

beforeAll(async () => {
  db = await startDynalite();
  store = dynamoStore(db.client, db.tableName);
});
afterAll(async () => db.close());

describe("a four-year lease", () => {
  it("parks for the whole lease, survives a renewal, and moves out at its end by the reconciler", async () => {
    const body = {
      kind: "rental_deposit" as const,
      buyerId: "u-renter",
      sellerId: "u-landlord",
      amount: 800_000,
      currency: "CNY",
      fee: 8_000,
      paymentMethod: "pm_sandbox_ok",
      lease: {
        startsAt: new Date(clock).toISOString(),
        endsAt: new Date(clock + 4 * YEAR * 1000).toISOString(),
      },
    };
    const { escrow } = await createEscrow(deps(), "demo", body, {
      key: "lease-4y",
      requestHash: requestHash("POST", "/v1/escrows", body),
    });
    const ref = { tenantId: "demo", escrowId: escrow.id };
    await holdFunds(deps(), ref);
    // The lease wait is far longer than an execution is kept for: it parks at once.
    await beginWait(deps(), { ...ref, seenVersion: 2, taskToken: "t-lease", execution: escrow.id });
    expect(workflow.signals.at(-1)).toEqual({
      token: "t-lease",
      step: { outcome: "parked", version: 2, timeoutSeconds: 1 },
    });
    expect(4 * YEAR).toBeGreaterThan(PARK_AFTER_SECONDS);
    ended(escrow.id); // by its Parked state
    expect(await store.waits.get("demo", escrow.id)).toMatchObject({ parked: true });
    // Due first for the lease end's reminder to the renter, a day before it.
    expect((await store.escrows.get("demo", escrow.id))?.marks).toMatchObject({
      parked: true,
      due: new Date(Date.parse(body.lease.endsAt) - 86_400_000).toISOString(),
    });

    // Three years on, the renter renews for two more: the continuation parks again until the new end.
    clock += 3 * YEAR * 1000;
    expect((await reconcile(deps())).continued).toBe(0);
    const newEnd = new Date(clock + 2 * YEAR * 1000).toISOString();
    await performAction(deps(), "demo", escrow.id, {
      action: "lease-renewal",
      actorId: "u-renter",
      endsAt: newEnd,
    });
    expect(workflow.started.at(-1)).toMatchObject({
      name: `${escrow.id}-p2`,
      step: { outcome: "lease_renewed" },
    });
    await beginWait(deps(), { ...ref, seenVersion: 3, taskToken: "t-renewed", execution: `${escrow.id}-p2` });
    ended(`${escrow.id}-p2`);
    // The renewed end has its own reminder, a day before it.
    expect(await store.waits.get("demo", escrow.id)).toMatchObject({ parked: true, seenVersion: 3 });
    expect((await store.escrows.get("demo", escrow.id))?.marks).toMatchObject({
      parked: true,
      due: new Date(Date.parse(newEnd) - 86_400_000).toISOString(),
      execution: `${escrow.id}-p2`,
    });

    // The old end passes: nothing happens. The new one passes: the reconciler moves the renter out.
    clock += 1.5 * YEAR * 1000;
    expect((await reconcile(deps())).continued).toBe(0);
    expect((await getEscrow(deps(), "demo", escrow.id)).status).toBe("FUNDED");
    // Twelve hours before the new end, the renter is reminded once (the old end's reminder never came:
    // its deadline moved before its time); the parked wait is then due at the end itself.
    clock = Date.parse(newEnd) - 12 * 3600 * 1000;
    expect(await reconcile(deps())).toMatchObject({ reminded: 1, continued: 0, failed: 0 });
    expect((await reconcile(deps())).reminded).toBe(0);
    expect(events.of(escrow.id).map((e) => e.type)).toEqual([
      "escrow.funded",
      "escrow.lease_renewed",
      "escrow.deadline_approaching",
    ]);
    expect(events.events.at(-1)).toMatchObject({
      reminder: { deadline: newEnd, party: "buyer", outcomeIfSilent: "move_out" },
      occurredAt: new Date(Date.parse(newEnd) - DAY * 1000).toISOString(),
    });
    expect((await store.escrows.get("demo", escrow.id))?.marks).toMatchObject({
      parked: true,
      due: newEnd,
      reminded: newEnd,
    });
    clock = Date.parse(newEnd) + 1000;
    expect((await reconcile(deps())).continued).toBe(1);
    const moved = await getEscrow(deps(), "demo", escrow.id);
    expect(moved).toMatchObject({ status: "MOVED_OUT", lease: { endsAt: newEnd, movedOutAt: newEnd } });
    expect(workflow.started.at(-1)).toMatchObject({
      name: `${escrow.id}-p3`,
      step: { outcome: "moved_out" },
    });
    // The claim window (14 days) is a wait an execution holds.
    await beginWait(deps(), { ...ref, seenVersion: 4, taskToken: "t-claim", execution: `${escrow.id}-p3` });
    expect((await store.waits.get("demo", escrow.id))?.parked).toBe(false);
    expect(events.of(escrow.id).map((e) => e.type)).toEqual([
      "escrow.funded",
      "escrow.lease_renewed",
      "escrow.deadline_approaching",
      "escrow.moved_out",
    ]);
    expect(events.of(escrow.id).at(-1)?.id).toBe(eventId(escrow.id, 4));

    // Five years after it was taken, the deposit comes back in full.
    await performAction(deps(), "demo", escrow.id, { action: "deposit-return", actorId: "u-landlord" });
    await settle(deps(), ref);
    expect(await getEscrow(deps(), "demo", escrow.id)).toMatchObject({
      status: "REFUNDED",
      held: 0,
      settlement: { refundedToBuyer: 800_000, paidToSeller: 0, platformFee: 0 },
    });
  });
});
