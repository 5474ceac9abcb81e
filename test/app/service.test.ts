import { beforeEach, describe, expect, it } from "vitest";
import {
  createEscrow,
  getEscrow,
  listEscrows,
  listHistory,
  performAction,
  type ServiceDeps,
  TAKEOVER_AFTER_MS,
} from "../../functions/app/escrow-service";
import { applyDeadline, beginWait, holdFunds, settle } from "../../functions/app/workflow-tasks";
import {
  IdempotencyInProgressError,
  IdempotencyKeyReusedError,
  InvalidTransitionError,
  NotFoundError,
  ValidationError,
} from "../../functions/domain/errors";
import type { ActionCommand } from "../../functions/domain/escrow";
import { eventId } from "../../functions/domain/events";
import { RECONCILE_GRACE_SECONDS } from "../../functions/domain/reconciliation";
import { INITIAL_STEP } from "../../functions/domain/workflow-step";
import { order } from "../support/orders";
import { withPort } from "../support/store-faults";
import { RecordingPublisher, RecordingWorkflow, TestPayments } from "./fakes";
import { dueIds, keyed, useStore } from "./fixture";

const table = useStore();
let deps: ServiceDeps & { workflow: RecordingWorkflow; events: RecordingPublisher; payments: TestPayments };
let clock: number;

beforeEach(() => {
  clock = Date.parse("2026-11-25T10:00:00.000Z");
  deps = {
    store: table.store,
    workflow: new RecordingWorkflow(),
    events: new RecordingPublisher(),
    payments: new TestPayments(),
    now: () => new Date(clock),
  };
});

let n = 0;

async function create(tenant = "demo", b = order()) {
  const key = `key-${++n}`;
  return createEscrow(deps, tenant, b, keyed(key, b));
}

async function funded(tenant = "demo") {
  const { escrow } = await create(tenant);
  const ref = { tenantId: tenant, escrowId: escrow.id };
  await holdFunds(deps, ref);
  return ref;
}

const act = (ref: { tenantId: string; escrowId: string }, command: ActionCommand, key?: string) =>
  performAction(
    deps,
    ref.tenantId,
    ref.escrowId,
    command,
    key ? keyed(key, command, `/v1/escrows/${ref.escrowId}/${command.action}`) : undefined,
  );

describe("creating", () => {
  it("creates a PENDING_FUNDS escrow and starts its workflow", async () => {
    const answer = await create();
    expect(answer.statusCode).toBe(201);
    expect(answer.escrow).toMatchObject({
      status: "PENDING_FUNDS",
      version: 1,
      amount: 12999,
      fee: 390,
      deadline: null,
    });
    expect(answer.escrow.id).toMatch(/^esc_[0-9A-Z]{26}$/);
    expect(answer.escrow.windows).toEqual({
      deliverySeconds: 604800,
      confirmationSeconds: 864000,
      sellerResponseSeconds: 432000,
      disputeSeconds: 2592000,
      reminderSeconds: 86400,
    });
    // The first execution is named after the escrow (ops find it by its id) and starts by taking the hold.
    expect(deps.workflow.started).toEqual([
      { tenantId: "demo", escrowId: answer.escrow.id, name: answer.escrow.id, step: INITIAL_STEP },
    ]);
  });

  it("replays the first answer for the same key and body, even after the escrow moved on", async () => {
    const b = order();
    const first = await createEscrow(deps, "demo", b, keyed("same", b));
    await holdFunds(deps, { tenantId: "demo", escrowId: first.escrow.id });
    const again = await createEscrow(deps, "demo", { ...b }, keyed("same", { ...b }));
    expect(again).toEqual({ ...first, replayed: true });
    expect((await getEscrow(deps, "demo", first.escrow.id)).status).toBe("FUNDED");
  });

  it("refuses the same key with another body (422) and changes nothing", async () => {
    const b = order();
    await createEscrow(deps, "demo", b, keyed("k422", b));
    const other = order({ amount: 1 });
    await expect(createEscrow(deps, "demo", other, keyed("k422", other))).rejects.toThrow(
      IdempotencyKeyReusedError,
    );
  });

  it("scopes keys to the tenant", async () => {
    const b = order();
    const a = await createEscrow(deps, "demo", b, keyed("shared", b));
    const o = await createEscrow(deps, "other", b, keyed("shared", b));
    expect(o.replayed).toBe(false);
    expect(o.escrow.id).not.toBe(a.escrow.id);
    await expect(getEscrow(deps, "other", a.escrow.id)).rejects.toThrow(NotFoundError);
  });

  it("lets exactly one of concurrent requests with one key create the escrow", async () => {
    const b = order();
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () => createEscrow(deps, "demo", b, keyed("race", b))),
    );
    const created = results.filter((r) => r.status === "fulfilled" && !r.value.replayed);
    expect(created).toHaveLength(1);
    for (const r of results) {
      if (r.status === "rejected") expect(r.reason).toBeInstanceOf(IdempotencyInProgressError);
      else
        expect(r.value.escrow.id).toBe(
          (created[0] as PromiseFulfilledResult<{ escrow: { id: string } }>).value.escrow.id,
        );
    }
    expect(deps.workflow.started).toHaveLength(1);
  });

  it("finishes a creation whose first request died before answering", async () => {
    const b = order();
    const key = keyed("crashed", b);
    // A request that wrote the escrow and started its workflow, but whose idempotency record was
    // never written (the store failed it, or the function died before): its effect stands, so it
    // answers 201 all the same (a 503 would say nothing changed), and a retry finishes the record.
    const dying: ServiceDeps = {
      ...deps,
      store: withPort(deps.store, "idempotency", { put: () => Promise.reject(new Error("crash")) }),
    };
    await expect(createEscrow(dying, "demo", b, key)).resolves.toMatchObject({
      statusCode: 201,
      replayed: false,
    });
    await expect(createEscrow(deps, "demo", b, key)).rejects.toThrow(IdempotencyInProgressError);
    clock += TAKEOVER_AFTER_MS;
    const answer = await createEscrow(deps, "demo", b, key);
    expect(answer).toMatchObject({
      statusCode: 201,
      replayed: true,
      escrow: { status: "PENDING_FUNDS", version: 1 },
    });
    // The takeover starts the first execution again by its name: Step Functions refuses the
    // repeat, so the escrow has exactly one.
    expect(deps.workflow.names).toEqual([answer.escrow.id]);
    expect(deps.workflow.started.map((s) => s.name)).toEqual([answer.escrow.id, answer.escrow.id]);
    // Answered once for good: the next retry is a plain replay.
    expect(await createEscrow(deps, "demo", b, key)).toEqual(answer);
  });

  it("answers 201 when Step Functions refuses the start, and leaves the escrow due for the reconciler", async () => {
    deps.workflow.refuse.start = true;
    const answer = await create();
    expect(answer).toMatchObject({ statusCode: 201, escrow: { status: "PENDING_FUNDS" } });
    expect(deps.workflow.names).toEqual([]);
    // Due at once (the refused start is known), and readable (the same write confirmed it); a creation
    // whose start went through is due within the grace (its execution takes the hold).
    const now = new Date(clock).toISOString();
    expect(await dueIds(table.store, now)).toContain(answer.escrow.id);
    expect(await getEscrow(deps, "demo", answer.escrow.id)).toMatchObject({ status: "PENDING_FUNDS" });
    deps.workflow.refuse.start = false;
    const started = await create();
    const grace = RECONCILE_GRACE_SECONDS * 1000;
    expect(await dueIds(table.store, new Date(clock + grace - 1000).toISOString())).not.toContain(
      started.escrow.id,
    );
    expect(await dueIds(table.store, new Date(clock + grace).toISOString())).toContain(started.escrow.id);
  });

  it("answers 201 once confirmed even when neither the start nor the reconciler's request can be made: the creation's own mark brings the reconciler within the grace", async () => {
    deps.workflow.refuse.start = true;
    const unasked = withPort(table.store, "marks", {
      requestVisit: async () => {
        throw new Error("ServiceUnavailable");
      },
    });
    const b = order({ description: "start refused, request failing" });
    const answer = await createEscrow({ ...deps, store: unasked }, "demo", b, keyed(`unasked-${++n}`, b));
    expect(answer).toMatchObject({ statusCode: 201, escrow: { status: "PENDING_FUNDS" } });
    expect(await getEscrow(deps, "demo", answer.escrow.id)).toMatchObject({ status: "PENDING_FUNDS" });
    expect(deps.workflow.names).toEqual([]);
    const grace = RECONCILE_GRACE_SECONDS * 1000;
    expect(await dueIds(table.store, new Date(clock + grace).toISOString())).toContain(answer.escrow.id);
  });

  it("rejects a payment method the sandbox does not know", async () => {
    await expect(create("demo", order({ paymentMethod: "pm_live_123" }))).rejects.toThrow(ValidationError);
  });
});

describe("acting on an escrow", () => {
  it("claims, then signals the waiting workflow with the step the record dictates", async () => {
    const ref = await funded();
    await beginWait(deps, { ...ref, seenVersion: 2, taskToken: "t-delivery", execution: ref.escrowId });
    expect(deps.workflow.signals).toEqual([]);
    const answer = await act(ref, {
      action: "delivery",
      actorId: "u-2002",
      carrier: "SF",
      trackingNumber: "SF1",
    });
    expect(answer).toMatchObject({ statusCode: 202, escrow: { status: "DELIVERED", version: 3 } });
    expect(deps.workflow.signals).toHaveLength(1);
    const [signal] = deps.workflow.signals;
    expect(signal?.token).toBe("t-delivery");
    // Only what the workflow routes on: the signal stays small, the event is the next wait's to publish.
    expect(signal?.step).toEqual({ outcome: "delivered", version: 3, timeoutSeconds: 864000 });
  });

  it("each wait publishes the event of the step it was entered with, once, with a stable id", async () => {
    const ref = await funded();
    await beginWait(deps, { ...ref, seenVersion: 2, taskToken: "t-1", execution: ref.escrowId });
    await act(ref, { action: "delivery", actorId: "u-2002", carrier: "SF", trackingNumber: "SF1" });
    await beginWait(deps, { ...ref, seenVersion: 3, taskToken: "t-2", execution: ref.escrowId });
    // A retried BeginWait (Lambda retry, or a restarted execution) does not publish again.
    await beginWait(deps, { ...ref, seenVersion: 3, taskToken: "t-3", execution: ref.escrowId });
    expect(deps.events.of(ref.escrowId)).toEqual([
      { id: eventId(ref.escrowId, 2), type: "escrow.funded" },
      { id: eventId(ref.escrowId, 3), type: "escrow.delivered" },
    ]);
    expect(eventId(ref.escrowId, 3)).toBe(`evt_${ref.escrowId.slice(4)}_3`);
    expect(deps.events.events.at(-1)).toMatchObject({
      type: "escrow.delivered",
      tenantId: "demo",
      escrowId: ref.escrowId,
      occurredAt: new Date(clock).toISOString(),
      escrow: { status: "DELIVERED", version: 3, delivery: { carrier: "SF", trackingNumber: "SF1" } },
    });
    expect(await deps.store.waits.get("demo", ref.escrowId)).toMatchObject({
      token: "t-3",
      seenVersion: 3,
      published: 3,
      parked: false,
    });
    // Nothing owed: the escrow's one mark is the confirmation window's reminder, a day before its deadline.
    expect((await deps.store.escrows.get("demo", ref.escrowId))?.marks).toMatchObject({
      owed: false,
      requested: false,
      reminded: null,
      due: new Date(clock + (10 - 1) * 86_400_000).toISOString(),
    });
  });

  it("a wait that begins after the action catches up by itself", async () => {
    const ref = await funded();
    await act(ref, { action: "delivery", actorId: "u-2002" });
    expect(deps.workflow.signals).toEqual([]);
    await beginWait(deps, { ...ref, seenVersion: 2, taskToken: "late", execution: ref.escrowId });
    expect(deps.workflow.signals.map((s) => [s.token, s.step.outcome])).toEqual([["late", "delivered"]]);
  });

  it("lets exactly one of racing conflicting actions win; the rest get 409", async () => {
    // Each request reads the clock (to the millisecond) as a real one does: two identical commands
    // stamped with the same millisecond would be indistinguishable from one's own lost write.
    deps.now = () => new Date(clock++);
    const ref = await funded();
    await act(ref, { action: "delivery", actorId: "u-2002" });
    const racers: ActionCommand[] = [
      { action: "confirmation", actorId: "u-1001" },
      { action: "refund-request", actorId: "u-1001", reason: "broken" },
      { action: "dispute", actorId: "u-2002", reason: "x" },
      { action: "confirmation", actorId: "u-1001" },
      { action: "refund-request", actorId: "u-1001", reason: "scratched", amount: 10 },
      { action: "dispute", actorId: "u-1001", reason: "y" },
    ];
    const results = await Promise.allSettled(racers.map((c) => act(ref, c)));
    const winners = results.filter((r) => r.status === "fulfilled");
    const losers = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    // dispute is allowed after a refund request, so a refund request and a dispute may both land, in that order
    const history = (await listHistory(deps, "demo", ref.escrowId)).items.map((e) => e.type);
    expect(history.slice(0, 3)).toEqual(["created", "funded", "delivered"]);
    expect(winners.length).toBe(history.length - 3);
    expect(winners.length).toBeGreaterThanOrEqual(1);
    for (const l of losers) expect(l.reason).toBeInstanceOf(InvalidTransitionError);
    const moneyClaims = history.filter((t) => t === "confirmed");
    expect(moneyClaims.length).toBeLessThanOrEqual(1);
    if (moneyClaims.length === 1) expect(history).toHaveLength(4);
  });

  it("replays an action by key, refuses its reuse elsewhere, and reports one still running", async () => {
    const ref = await funded();
    const first = await act(ref, { action: "delivery", actorId: "u-2002", carrier: "SF" }, "deliver-1");
    await act(ref, { action: "confirmation", actorId: "u-1001" });
    const again = await act(ref, { action: "delivery", actorId: "u-2002", carrier: "SF" }, "deliver-1");
    expect(again).toEqual({ ...first, replayed: true });
    await expect(
      act(ref, { action: "delivery", actorId: "u-2002", carrier: "EMS" }, "deliver-1"),
    ).rejects.toThrow(IdempotencyKeyReusedError);
    const other = await funded();
    await expect(
      act(other, { action: "delivery", actorId: "u-2002", carrier: "SF" }, "deliver-1"),
    ).rejects.toThrow(IdempotencyKeyReusedError);
  });

  it("answers concurrent duplicates of one keyed action with one 202 and in-progress or replays", async () => {
    deps.now = () => new Date(clock++);
    const ref = await funded();
    const cmd: ActionCommand = { action: "delivery", actorId: "u-2002" };
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => act(ref, cmd, "dup")));
    const fresh = results.filter((r) => r.status === "fulfilled" && !r.value.replayed);
    expect(fresh).toHaveLength(1);
    for (const r of results)
      if (r.status === "rejected") expect(r.reason).toBeInstanceOf(IdempotencyInProgressError);
    expect(
      (await listHistory(deps, "demo", ref.escrowId)).items.filter((e) => e.type === "delivered"),
    ).toHaveLength(1);
  });

  it("hides other tenants' escrows", async () => {
    const ref = await funded("demo");
    await expect(
      act({ ...ref, tenantId: "other" }, { action: "delivery", actorId: "u-2002" }),
    ).rejects.toThrow(NotFoundError);
    await expect(listHistory(deps, "other", ref.escrowId)).rejects.toThrow(NotFoundError);
  });
});

describe("timeouts and the record", () => {
  it("a timeout after an accepted action carries the action out (the 202 stands)", async () => {
    const ref = await funded();
    await act(ref, { action: "delivery", actorId: "u-2002" });
    await beginWait(deps, { ...ref, seenVersion: 3, taskToken: "t-confirm", execution: ref.escrowId });
    await act(ref, { action: "confirmation", actorId: "u-1001" });
    const step = await applyDeadline(deps, { ...ref, seenVersion: 3 });
    expect(step).toMatchObject({ outcome: "release", version: 4 });
    const released = await settle(deps, ref);
    expect(released.outcome).toBe("released");
    expect((await getEscrow(deps, "demo", ref.escrowId)).settlement).toMatchObject({
      paidToSeller: 12609,
      platformFee: 390,
    });
  });

  it("a timeout with nothing accepted takes the automatic outcome, and a late action gets 409", async () => {
    const ref = await funded();
    clock += 7 * 86_400_000 + 1000;
    const step = await applyDeadline(deps, { ...ref, seenVersion: 2 });
    expect(step).toMatchObject({ outcome: "refund", version: 3 });
    await expect(act(ref, { action: "delivery", actorId: "u-2002" })).rejects.toThrow(InvalidTransitionError);
    expect((await settle(deps, ref)).outcome).toBe("refunded");
    const final = await getEscrow(deps, "demo", ref.escrowId);
    expect(final).toMatchObject({
      status: "REFUNDED",
      settlement: { refundedToBuyer: 12999, paidToSeller: 0, platformFee: 0 },
    });
  });

  it("tasks retried by Step Functions find their work done and return the same step", async () => {
    const { escrow } = await create();
    const ref = { tenantId: "demo", escrowId: escrow.id };
    const a = await holdFunds(deps, ref);
    const b = await holdFunds(deps, ref);
    expect(b).toEqual(a);
    await act(ref, { action: "cancellation", actorId: "u-1001" });
    const s1 = await settle(deps, ref);
    const s2 = await settle(deps, ref);
    expect(s2).toEqual(s1);
    const history = ((await deps.store.escrows.get("demo", ref.escrowId))?.history ?? []).map((e) => e.type);
    // The intent (settling) is recorded before the provider is called; a retried settle adds nothing.
    expect(history).toEqual(["created", "funded", "cancellation_requested", "settling", "refunded"]);
    // The events route lists transitions and accepted actions only.
    expect((await listHistory(deps, "demo", ref.escrowId)).items.map((e) => e.type)).toEqual([
      "created",
      "funded",
      "cancellation_requested",
      "refunded",
    ]);
    expect(deps.payments.callsOf(ref.escrowId, "refund")).toHaveLength(1);
    expect(deps.payments.book.of(ref.escrowId).map((m) => [m.type, m.amount, m.key])).toEqual([
      ["hold", 12999, `${ref.escrowId}:hold`],
      ["refund", 12999, `${ref.escrowId}:s4:refund`],
    ]);
    // A retried settle announces its outcome again (at least once), always as the same events: the
    // outcome and the funding no wait announced (no wait ran here).
    const published = deps.events.of(ref.escrowId);
    expect(published.length).toBeGreaterThanOrEqual(2);
    expect(new Set(published.map((e) => JSON.stringify(e)))).toEqual(
      new Set([
        JSON.stringify({ id: eventId(ref.escrowId, 2), type: "escrow.funded" }),
        JSON.stringify({ id: eventId(ref.escrowId, 5), type: "escrow.refunded" }),
      ]),
    );
  });
});

describe("listing", () => {
  it("pages newest first, filters by party and status, and refuses a cursor from another tenant", async () => {
    const buyer = `u-list-${++n}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      clock += 1000;
      ids.push((await create("demo", order({ buyerId: buyer }))).escrow.id);
    }
    await holdFunds(deps, { tenantId: "demo", escrowId: ids[0] as string });
    const page1 = await listEscrows(deps, "demo", { buyerId: buyer, limit: 2 });
    expect(page1.items.map((e) => e.id)).toEqual([ids[4], ids[3]]);
    expect(page1.nextCursor).toEqual(expect.any(String));
    const page2 = await listEscrows(deps, "demo", {
      buyerId: buyer,
      limit: 2,
      cursor: page1.nextCursor as string,
    });
    expect(page2.items.map((e) => e.id)).toEqual([ids[2], ids[1]]);
    const page3 = await listEscrows(deps, "demo", {
      buyerId: buyer,
      limit: 2,
      cursor: page2.nextCursor as string,
    });
    expect(page3).toEqual({ items: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
    const fundedOnly = await listEscrows(deps, "demo", { buyerId: buyer, status: "FUNDED", limit: 10 });
    expect(fundedOnly.items.map((e) => e.id)).toEqual([ids[0]]);
    await expect(
      listEscrows(deps, "other", { buyerId: buyer, limit: 2, cursor: page1.nextCursor as string }),
    ).rejects.toThrow(ValidationError);
    expect((await listEscrows(deps, "other", { buyerId: buyer, limit: 10 })).items).toEqual([]);
  });

  it("keeps the ops queue to disputed escrows", async () => {
    const ref = await funded("queue-tenant");
    await funded("queue-tenant");
    await act(ref, { action: "dispute", actorId: "u-1001", reason: "never arrived" });
    const queue = await listEscrows(deps, "queue-tenant", { status: "DISPUTED", limit: 10 });
    expect(queue.items.map((e) => e.id)).toEqual([ref.escrowId]);
    await act(ref, { action: "resolution", outcome: "refund", note: "carrier lost it" });
    await settle(deps, ref);
    expect((await listEscrows(deps, "queue-tenant", { status: "DISPUTED", limit: 10 })).items).toEqual([]);
  });
});
