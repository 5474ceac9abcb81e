import { describe, expect, it } from "vitest";
import { BUYER, order, SELLER } from "./client";
import { funded } from "./expect";
import { useLocalService } from "./server";

/**
 * Every lifecycle path of API.md, end to end against the running local
 * service: real HTTP, real handlers, the very ASL file, dynalite, local SNS.
 */
const api = useLocalService();

async function delivered(overrides: Record<string, unknown> = {}) {
  const escrow = await funded(api, overrides);
  const res = await api.act(escrow.id, "delivery", {
    actorId: SELLER,
    carrier: "SF",
    trackingNumber: "SF123",
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  expect(res.body).toMatchObject({
    status: "DELIVERED",
    delivery: { carrier: "SF", trackingNumber: "SF123" },
  });
  return res.body;
}

const eventTypes = async (id: string, expected: string[]) =>
  (await api.waitForEvents(id, expected)).map((n) => n.event.type);

describe.concurrent("lifecycles", () => {
  it("happy path: hold, deliver, confirm, release — with one event per transition", async () => {
    const created = await api.create(order());
    expect(created.status).toBe(201);
    expect(created.contentType).toMatch(/application\/json/);
    expect(created.body).toMatchObject({
      status: "PENDING_FUNDS",
      version: 1,
      settlement: null,
      pendingAction: null,
    });
    expect(created.body.id).toMatch(/^esc_/);
    const id = created.body.id;
    const fundedEscrow = await api.waitFor(id, "FUNDED");
    expect(Date.parse(fundedEscrow.deadline) - Date.parse(fundedEscrow.updatedAt)).toBe(7 * 86_400_000);

    await api.act(id, "delivery", { actorId: SELLER, carrier: "SF", trackingNumber: "SF123" });
    const confirmed = await api.act(id, "confirmation", { actorId: BUYER });
    expect(confirmed.status).toBe(202);
    expect(confirmed.body).toMatchObject({
      status: "DELIVERED",
      pendingAction: "confirmation",
      deadline: null,
    });

    const released = await api.waitFor(id, "RELEASED");
    expect(released.settlement).toMatchObject({ paidToSeller: 12609, refundedToBuyer: 0, platformFee: 390 });
    expect(released.deadline).toBeNull();

    expect(await eventTypes(id, ["", "", ""])).toEqual([
      "escrow.funded",
      "escrow.delivered",
      "escrow.released",
    ]);
    const notes = await api.notifications(id);
    for (const n of notes) {
      expect(n.attributes).toEqual({ type: n.event.type, tenantId: "demo" });
      expect(n.event).toMatchObject({ escrowId: id, tenantId: "demo", escrow: { id } });
      expect(n.event.id).toMatch(/^evt_/);
    }
    expect(new Set(notes.map((n) => n.event.id)).size).toBe(notes.length);
    expect(notes.at(-1)?.event.escrow.status).toBe("RELEASED");

    const history = await api.call("GET", `/v1/escrows/${id}/events`);
    expect(history.status).toBe(200);
    expect(history.body.items.map((e: { type: string }) => e.type)).toEqual([
      "created",
      "funded",
      "delivered",
      "confirmed",
      "released",
    ]);
    for (const e of history.body.items)
      expect(Object.keys(e)).toEqual(expect.arrayContaining(["at", "type", "actor", "data"]));
  });

  it("publishes events intact whatever the text holds (quotes, backslashes, CJK)", async () => {
    const description = 'Bike "Pro" \\ 二手自行车 {"not": json}';
    const escrow = await funded(api, { description, metadata: { note: 'say "hi"' } });
    const [funded1] = await api.waitForEvents(escrow.id, ["escrow.funded"]);
    expect(funded1.event.escrow.description).toBe(description);
    expect(funded1.event.escrow.metadata).toEqual({ note: 'say "hi"' });
  });

  it("cancellation before delivery refunds everything", async () => {
    const escrow = await funded(api);
    const res = await api.act(escrow.id, "cancellation", { actorId: SELLER, reason: "sold elsewhere" });
    expect(res.status).toBe(202);
    const refunded = await api.waitFor(escrow.id, "REFUNDED");
    expect(refunded.settlement).toMatchObject({ paidToSeller: 0, refundedToBuyer: 12999, platformFee: 0 });
    expect(await eventTypes(escrow.id, ["", ""])).toEqual(["escrow.funded", "escrow.refunded"]);
  });

  it("a partial refund accepted by the seller settles the split with the fee pro rata", async () => {
    const escrow = await delivered();
    const req = await api.act(escrow.id, "refund-request", {
      actorId: BUYER,
      amount: 3000,
      reason: "scratched frame",
    });
    expect(req.status).toBe(202);
    expect(req.body).toMatchObject({
      status: "REFUND_REQUESTED",
      refundRequest: { amount: 3000, reason: "scratched frame" },
    });
    await api.act(escrow.id, "refund-response", { actorId: SELLER, accept: true });
    const settled = await api.waitFor(escrow.id, "SETTLED");
    expect(settled.settlement).toMatchObject({ refundedToBuyer: 3000, platformFee: 299, paidToSeller: 9700 });
    expect(await eventTypes(escrow.id, ["", "", "", ""])).toEqual([
      "escrow.funded",
      "escrow.delivered",
      "escrow.refund_requested",
      "escrow.settled",
    ]);
  });

  it("a full refund request accepted refunds everything", async () => {
    const escrow = await delivered();
    await api.act(escrow.id, "refund-request", { actorId: BUYER, reason: "not as described" });
    await api.act(escrow.id, "refund-response", { actorId: SELLER, accept: true, note: "ok" });
    const refunded = await api.waitFor(escrow.id, "REFUNDED");
    expect(refunded.settlement).toMatchObject({ refundedToBuyer: 12999, paidToSeller: 0, platformFee: 0 });
  });

  it.each([
    [
      "release",
      undefined,
      { status: "RELEASED", settlement: { paidToSeller: 12609, refundedToBuyer: 0, platformFee: 390 } },
    ],
    [
      "refund",
      undefined,
      { status: "REFUNDED", settlement: { paidToSeller: 0, refundedToBuyer: 12999, platformFee: 0 } },
    ],
    [
      "split",
      5000,
      { status: "SETTLED", settlement: { refundedToBuyer: 5000, platformFee: 239, paidToSeller: 7760 } },
    ],
  ])(
    "a rejected refund becomes a dispute that ops resolve with %s",
    async (outcome, refundAmount, expected) => {
      const escrow = await delivered();
      await api.act(escrow.id, "refund-request", { actorId: BUYER, reason: "broken" });
      const rejected = await api.act(escrow.id, "refund-response", {
        actorId: SELLER,
        accept: false,
        note: "it was fine",
      });
      expect(rejected.body).toMatchObject({ status: "DISPUTED", dispute: { openedBy: "seller" } });
      const queue = await api.call("GET", "/v1/ops/escrows?status=DISPUTED", { as: "ops" });
      expect(queue.status).toBe(200);
      expect(queue.body.items.map((e: { id: string }) => e.id)).toContain(escrow.id);
      const ruling = await api.act(escrow.id, "resolution", {
        outcome,
        refundAmount,
        note: "photos reviewed",
      });
      expect(ruling.status, JSON.stringify(ruling.body)).toBe(202);
      expect(ruling.body.pendingAction).toBe("resolution");
      const final = await api.waitFor(escrow.id, expected.status);
      expect(final.settlement).toMatchObject(expected.settlement);
    },
  );

  it("a buyer's dispute before delivery goes to ops", async () => {
    const escrow = await funded(api);
    const res = await api.act(escrow.id, "dispute", { actorId: BUYER, reason: "seller unreachable" });
    expect(res.body).toMatchObject({
      status: "DISPUTED",
      dispute: { openedBy: "buyer", reason: "seller unreachable" },
    });
    await api.act(escrow.id, "resolution", { outcome: "refund", note: "no delivery" });
    await api.waitFor(escrow.id, "REFUNDED");
    expect(await eventTypes(escrow.id, ["", "", ""])).toEqual([
      "escrow.funded",
      "escrow.disputed",
      "escrow.refunded",
    ]);
  });

  it("a declined payment cancels the escrow", async () => {
    const created = await api.create(order({ paymentMethod: "pm_sandbox_decline" }));
    const cancelled = await api.waitFor(created.body.id, "CANCELLED");
    expect(cancelled).toMatchObject({ failureReason: "payment_declined", settlement: null });
    expect(await eventTypes(created.body.id, [""])).toEqual(["escrow.cancelled"]);
  });

  it("an unavailable provider is retried, then the escrow is cancelled", async () => {
    const created = await api.create(order({ paymentMethod: "pm_sandbox_unavailable" }));
    const cancelled = await api.waitFor(created.body.id, "CANCELLED", 30_000);
    expect(cancelled).toMatchObject({ failureReason: "payment_unavailable", settlement: null });
  });
});

/**
 * Windows that pass by themselves, at their real lengths: the service's clock is moved (API.md v1.2,
 * `POST /_local/clock`) instead of waiting. One at a time, after the concurrent lifecycles above: a move
 * moves every escrow of this service.
 */
describe("windows that pass by themselves (the service's clock moved)", () => {
  const DAY = 86_400;

  it("the inspection window passing releases to the seller by itself", async () => {
    const escrow = await delivered();
    expect(Date.parse(escrow.deadline) - Date.parse(escrow.updatedAt)).toBe(10 * DAY * 1000);
    await api.advanceClock(10 * DAY - 60);
    expect((await api.get(escrow.id)).body).toMatchObject({ status: "DELIVERED", pendingAction: null });
    await api.advanceClock(60);
    const released = await api.waitFor(escrow.id, "RELEASED");
    expect(released.settlement).toMatchObject({ paidToSeller: 12609, platformFee: 390 });
    expect(Date.parse(released.settlement.settledAt)).toBeGreaterThanOrEqual(Date.parse(escrow.deadline));
    const late = await api.act(escrow.id, "refund-request", { actorId: BUYER, reason: "too late" });
    expect(late.status).toBe(409);
  });

  it("the delivery window passing refunds the buyer by itself, and a late delivery is 409", async () => {
    const escrow = await funded(api);
    await api.advanceClock(7 * DAY);
    const refunded = await api.waitFor(escrow.id, "REFUNDED");
    expect(refunded.settlement).toMatchObject({ refundedToBuyer: 12999 });
    const late = await api.act(escrow.id, "delivery", { actorId: SELLER });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe("invalid_transition");
  });

  it("a seller who does not answer accepts the refund as asked", async () => {
    const escrow = await delivered();
    await api.act(escrow.id, "refund-request", { actorId: BUYER, amount: 999, reason: "missing bell" });
    await api.advanceClock(5 * DAY);
    const settled = await api.waitFor(escrow.id, "SETTLED");
    expect(settled.settlement.refundedToBuyer).toBe(999);
  });

  it("an unresolved dispute refunds the buyer when its window passes and alerts ops", async () => {
    const escrow = await funded(api);
    await api.act(escrow.id, "dispute", { actorId: SELLER, reason: "buyer threatens" });
    await api.waitForEvents(escrow.id, ["escrow.funded", "escrow.disputed"]);
    await api.advanceClock(30 * DAY);
    const refunded = await api.waitFor(escrow.id, "REFUNDED");
    expect(refunded.settlement.refundedToBuyer).toBe(12999);
    const history = await api.call("GET", `/v1/escrows/${escrow.id}/events`);
    expect(history.body.items.map((e: { type: string }) => e.type)).toContain("window_elapsed");
    // marketplaces see escrow events only; the alert went to the ops topic
    expect(
      (await eventTypes(escrow.id, ["", "", ""])).filter((t) => t !== "escrow.deadline_approaching"),
    ).toEqual(["escrow.funded", "escrow.disputed", "escrow.refunded"]);
    const ops = (await (
      await fetch(`${api.url}/_local/notifications?escrowId=${escrow.id}&topic=ops`)
    ).json()) as {
      items: { attributes: Record<string, string>; event: { type: string; escrowId: string } }[];
    };
    expect(ops.items.map((n) => n.event.type)).toEqual(["escrow.dispute_unresolved"]);
    expect(ops.items[0]?.attributes).toEqual({ type: "escrow.dispute_unresolved", tenantId: "demo" });
  });

  it("an extension moves the inspection deadline and the release waits for it", async () => {
    const escrow = await delivered();
    const res = await api.act(escrow.id, "extension", { actorId: BUYER, seconds: 3 * DAY });
    expect(res.status).toBe(202);
    expect(Date.parse(res.body.deadline) - Date.parse(escrow.deadline)).toBe(3 * DAY * 1000);
    // The old deadline passes: nothing happens.
    await api.advanceClock(10 * DAY);
    expect((await api.get(escrow.id)).body).toMatchObject({
      status: "DELIVERED",
      deadline: res.body.deadline,
    });
    await api.advanceClock(3 * DAY);
    await api.waitFor(escrow.id, "RELEASED");
    expect(
      (await eventTypes(escrow.id, ["", "", "", ""])).filter((t) => t !== "escrow.deadline_approaching"),
    ).toEqual(["escrow.funded", "escrow.delivered", "escrow.extended", "escrow.released"]);
  });
});
