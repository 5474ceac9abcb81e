import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CAR_VIN, carDeal } from "../support/orders";
import { Api, order } from "./client";
import { type LocalServer, startServer } from "./server";

/**
 * Second-hand cars and in-person handover codes end to end (API.md v1.1,
 * "Kind vehicle" and "In-person handover codes"), against the local service
 * with its functions logging at DEBUG — so that a test can look for the code
 * in every log line too.
 */
let server: LocalServer;
let api: Api;

beforeAll(async () => {
  server = await startServer({ env: { ESCROW_LOCAL_LOG_LEVEL: "DEBUG" } });
  api = new Api(server.url);
});
afterAll(async () => server?.stop());

const BUYER = "u-car-buyer";
const SELLER = "u-car-seller";
const VIN = CAR_VIN;

const car = (overrides: Record<string, unknown> = {}) =>
  carDeal({
    buyerId: BUYER,
    sellerId: SELLER,
    vehicle: { vin: VIN, description: "2019 Passat 1.4T" },
    ...overrides,
  });

async function reserved(overrides: Record<string, unknown> = {}) {
  const created = await api.create(car(overrides));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return api.waitFor(created.body.id, "RESERVED");
}

const act = async (id: string, action: string, body: Record<string, unknown>, status = 202) => {
  const res = await api.act(id, action, body);
  expect(res.status, `${action}: ${JSON.stringify(res.body)}`).toBe(status);
  return res;
};

async function movements(id: string) {
  const res = await fetch(`${server.url}/_local/payments?escrowId=${id}`);
  const { items } = (await res.json()) as { items: { type: string; amount: number; key: string }[] };
  expect(new Set(items.map((m) => m.key)).size).toBe(items.length);
  return items.map((m) => [m.type, m.amount]);
}

/** The deposit was held, then refunded, once each; reserved, inspected and refunded were published, in order. */
async function expectDepositRefunded(id: string) {
  expect(await movements(id)).toEqual([
    ["hold", 200000],
    ["refund", 200000],
  ]);
  const types = (await api.waitForEvents(id, ["escrow.reserved", "escrow.inspected", "escrow.refunded"])).map(
    (n) => n.event.type,
  );
  expect(types).toEqual(["escrow.reserved", "escrow.inspected", "escrow.refunded"]);
}

const handoverCode = (id: string, actorId = BUYER) =>
  api.call("POST", `/v1/escrows/${id}/handover-code`, { body: { actorId } });

describe("a used car", () => {
  it("reserve, inspect, hold the balance, hand over in person, release: two holds at the provider", async () => {
    const escrow = await reserved();
    expect(escrow).toMatchObject({
      kind: "vehicle",
      status: "RESERVED",
      funded: 200000,
      held: 200000,
      deposit: 200000,
      depositForfeitable: false,
      vehicle: { vin: VIN, description: "2019 Passat 1.4T" },
      inspection: null,
      windows: { inspectionSeconds: 3 * 86400, confirmationSeconds: 3 * 86400 },
    });
    const inspected = await act(escrow.id, "inspection", { actorId: BUYER, accept: true });
    expect(inspected.body).toMatchObject({
      pendingAction: "inspection",
      deadline: null,
      inspection: { accepted: true },
    });
    const funded = await api.waitFor(escrow.id, "FUNDED");
    expect(funded).toMatchObject({ funded: 8800000, held: 8800000 });

    const issued = await handoverCode(escrow.id);
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    expect(issued.body.code).toMatch(/^\d{8}$/);
    expect(Date.parse(issued.body.expiresAt) - Date.now()).toBeGreaterThan(9 * 60_000);
    expect(Date.parse(issued.body.expiresAt) - Date.now()).toBeLessThanOrEqual(10 * 60_000);

    const delivered = await act(escrow.id, "delivery", {
      actorId: SELLER,
      titleTransferRef: "BJ-2026-118833",
      handoverCode: issued.body.code,
    });
    expect(delivered.body.status).toBe("DELIVERED");
    expect(delivered.body.delivery).toMatchObject({
      method: "in_person",
      handedOverAt: expect.any(String),
      titleTransferRef: "BJ-2026-118833",
    });
    await act(escrow.id, "confirmation", { actorId: BUYER });
    const done = await api.waitFor(escrow.id, "RELEASED");
    expect(done.settlement).toMatchObject({ paidToSeller: 8712000, platformFee: 88000, refundedToBuyer: 0 });
    expect(await movements(escrow.id)).toEqual([
      ["hold", 200000],
      ["hold", 8600000],
      ["payout", 8712000],
      ["fee", 88000],
    ]);
    await api.waitForEvents(escrow.id, [
      "escrow.reserved",
      "escrow.inspected",
      "escrow.funded",
      "escrow.delivered",
      "escrow.released",
    ]);
  });

  it("a rejected inspection returns the deposit", async () => {
    const escrow = await reserved({ depositForfeitable: true });
    const missing = await api.act(escrow.id, "inspection", { actorId: BUYER, accept: false });
    expect(missing.status).toBe(400);
    await act(escrow.id, "inspection", {
      actorId: BUYER,
      accept: false,
      reason: "Frame damage not disclosed",
    });
    const done = await api.waitFor(escrow.id, "REFUNDED");
    expect(done).toMatchObject({
      inspection: { accepted: false, reason: "Frame damage not disclosed" },
      settlement: { refundedToBuyer: 200000, paidToSeller: 0, platformFee: 0 },
    });
    // Every transition the events route lists is published (API.md v1.2): the inspection too.
    await expectDepositRefunded(escrow.id);
  });

  it("withdrawal: the buyer forfeits a forfeitable deposit; the seller's cancellation returns it", async () => {
    const buyerQuits = await reserved({ depositForfeitable: true });
    await act(buyerQuits.id, "cancellation", { actorId: BUYER, reason: "found another car" });
    expect((await api.waitFor(buyerQuits.id, "RELEASED")).disbursements[0].reason).toBe("deposit_forfeited");
    const sellerQuits = await reserved({ depositForfeitable: true });
    await act(sellerQuits.id, "cancellation", { actorId: SELLER, reason: "sold elsewhere" });
    expect((await api.waitFor(sellerQuits.id, "REFUNDED")).settlement.refundedToBuyer).toBe(200000);
  });

  it("a declined balance returns the deposit: REFUNDED, balance_declined; escrow.inspected is published", async () => {
    const escrow = await reserved();
    // A payment method the provider does not take is 400 (create's rule), and changes nothing.
    const live = await api.act(escrow.id, "inspection", {
      actorId: BUYER,
      accept: true,
      paymentMethod: "pm_live_4242",
    });
    expect(live.status).toBe(400);
    expect(live.body.errors.map((e: { path: string }) => e.path)).toEqual(["paymentMethod"]);
    expect((await api.get(escrow.id)).body).toEqual(escrow);
    await act(escrow.id, "inspection", { actorId: BUYER, accept: true, paymentMethod: "pm_sandbox_decline" });
    const done = await api.waitFor(escrow.id, "REFUNDED");
    expect(done).toMatchObject({
      failureReason: "balance_declined",
      funded: 200000,
      settlement: { refundedToBuyer: 200000, paidToSeller: 0, platformFee: 0 },
    });
    await expectDepositRefunded(escrow.id);
  });

  it("a dispute over the deposit goes to ops, who decide what is held", async () => {
    const escrow = await reserved();
    await act(escrow.id, "dispute", { actorId: SELLER, reason: "buyer damaged the car on the test drive" });
    await api.waitFor(escrow.id, "DISPUTED");
    expect(
      (await api.act(escrow.id, "resolution", { outcome: "split", refundAmount: 200000, note: "x" })).status,
    ).toBe(400);
    await act(escrow.id, "resolution", { outcome: "split", refundAmount: 150000, note: "repair costs 500" });
    const done = await api.waitFor(escrow.id, "SETTLED");
    expect(done.settlement).toMatchObject({ refundedToBuyer: 150000, paidToSeller: 49500, platformFee: 500 });
  });

  it("bad inputs: VIN, deposit, fields of other kinds, title transfer, inspection rules", async () => {
    for (const [overrides, path] of [
      [{ vehicle: { vin: "LSVAU2180N218329I" } }, "vehicle.vin"],
      [{ vehicle: { vin: "LSVAU2180N21832" } }, "vehicle.vin"],
      [{ deposit: 8800000 }, "deposit"],
      [{ deposit: 0 }, "deposit"],
      [{ deposit: undefined }, "deposit"],
      [{ vehicle: undefined }, "vehicle"],
      [{ windows: { claimSeconds: 60 } }, "windows.claimSeconds"],
      [{ lease: { startsAt: "2026-12-01T00:00:00Z", endsAt: "2027-12-01T00:00:00Z" } }, "lease"],
    ] as [Record<string, unknown>, string][]) {
      const res = await api.create(car(overrides));
      expect(res.status, JSON.stringify(overrides)).toBe(400);
      expect(
        res.body.errors.map((e: any) => e.path),
        JSON.stringify(overrides),
      ).toContain(path);
    }
    for (const [field, value] of [
      ["deposit", 100],
      ["depositForfeitable", true],
      ["vehicle", { vin: VIN }],
    ] as const) {
      const res = await api.create(order({ [field]: value }));
      expect(res.status, field).toBe(400);
      expect(res.body.errors.map((e: any) => e.path)).toContain(field);
    }
    const escrow = await reserved();
    // Actions of RESERVED only; delivery waits for FUNDED and then needs the title transfer.
    expect((await api.act(escrow.id, "delivery", { actorId: SELLER, titleTransferRef: "T-1" })).status).toBe(
      409,
    );
    expect((await api.act(escrow.id, "inspection", { actorId: SELLER, accept: true })).status).toBe(403);
    await act(escrow.id, "inspection", { actorId: BUYER, accept: true });
    await api.waitFor(escrow.id, "FUNDED");
    const noTitle = await api.act(escrow.id, "delivery", { actorId: SELLER });
    expect(noTitle.status).toBe(400);
    expect(noTitle.body.errors.map((e: any) => e.path)).toContain("titleTransferRef");
    expect((await api.act(escrow.id, "inspection", { actorId: BUYER, accept: true })).status).toBe(409);
    expect((await api.get(escrow.id)).body.status).toBe("FUNDED");
  });
});

describe("in-person handover codes", () => {
  async function funded() {
    const created = await api.create(order({ buyerId: BUYER, sellerId: SELLER }));
    return api.waitFor(created.body.id, "FUNDED");
  }

  it("a wrong code is 422 and changes nothing; a new code voids the old; five wrong void the current one", async () => {
    const escrow = await funded();
    const first = (await handoverCode(escrow.id)).body.code as string;
    const second = (await handoverCode(escrow.id)).body.code as string;
    const deliver = (code: string) => api.act(escrow.id, "delivery", { actorId: SELLER, handoverCode: code });
    const invalid = async (code: string) => {
      const res = await deliver(code);
      expect(res.status, code).toBe(422);
      expect(res.contentType).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe("handover_code_invalid");
    };
    if (first !== second) await invalid(first); // voided by the second
    const wrong = second === "00000000" ? "00000001" : "00000000";
    for (let i = 0; i < (first !== second ? 4 : 5); i++) await invalid(wrong);
    // That was the fifth wrong code: the right one is void now.
    await invalid(second);
    expect((await api.get(escrow.id)).body).toMatchObject({ status: "FUNDED", version: escrow.version });
    // A new code starts a new count, and works once.
    const third = (await handoverCode(escrow.id)).body.code as string;
    const ok = await deliver(third);
    expect(ok.status).toBe(202);
    expect(ok.body.delivery).toMatchObject({ method: "in_person" });
  });

  it("is for the buyer of a FUNDED goods, service or car escrow; bad bodies are 400", async () => {
    const escrow = await funded();
    expect((await handoverCode(escrow.id, SELLER)).status).toBe(403);
    expect((await api.call("POST", `/v1/escrows/${escrow.id}/handover-code`, { body: {} })).status).toBe(400);
    const bad = await api.act(escrow.id, "delivery", { actorId: SELLER, handoverCode: "1234" });
    expect(bad.status).toBe(400);
    const car = await reserved();
    expect((await handoverCode(car.id)).status).toBe(409);
    const other = await api.create(order({ buyerId: BUYER, sellerId: SELLER }), undefined, "other");
    expect(
      (await api.call("POST", `/v1/escrows/${other.body.id}/handover-code`, { body: { actorId: BUYER } }))
        .status,
    ).toBe(404);
    // Never replayed: the same Idempotency-Key gives a new code each time.
    const a = await api.call("POST", `/v1/escrows/${escrow.id}/handover-code`, {
      body: { actorId: BUYER },
      headers: { "Idempotency-Key": "same" },
    });
    const b = await api.call("POST", `/v1/escrows/${escrow.id}/handover-code`, {
      body: { actorId: BUYER },
      headers: { "Idempotency-Key": "same" },
    });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers.get("idempotent-replayed")).toBeNull();
    expect(b.body.expiresAt >= a.body.expiresAt).toBe(true);
  });

  it("appears in no resource, event, history entry, log line or stored byte", async () => {
    const escrow = await funded();
    const { code } = (await handoverCode(escrow.id)).body as { code: string };
    await act(escrow.id, "delivery", { actorId: SELLER, handoverCode: code });
    await act(escrow.id, "confirmation", { actorId: BUYER });
    await api.waitFor(escrow.id, "RELEASED");
    await api.waitForEvents(escrow.id, ["escrow.delivered", "escrow.released"]);
    const seen = [
      JSON.stringify((await api.get(escrow.id)).body),
      JSON.stringify((await api.call("GET", `/v1/escrows/${escrow.id}/events`)).body),
      JSON.stringify((await api.call("GET", `/v1/ops/escrows/${escrow.id}`, { as: "ops" })).body),
      JSON.stringify(await api.notifications(escrow.id)),
      server.output(),
    ];
    for (const text of seen) expect(text).not.toContain(code);
    // Nor anywhere the service keeps data (the store, the executions, the SNS log), as a string value.
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? files(path) : [path];
      });
    for (const file of files(server.dataDir))
      expect(readFileSync(file).includes(`"${code}"`), file).toBe(false);
    // The log did record the requests (it is not empty: the search means something).
    expect(server.output().length).toBeGreaterThan(0);
  });
});

/**
 * Windows that pass by themselves, at their real lengths: the service's clock is moved (API.md v1.2,
 * `POST /_local/clock`) instead of waiting. Last in this file: a move moves every escrow of this service.
 */
describe("inspection windows that pass by themselves (the service's clock moved)", () => {
  const DAY = 86_400;

  it("a lapsed inspection forfeits a forfeitable deposit to the seller, less its pro-rata fee", async () => {
    const escrow = await reserved({ depositForfeitable: true });
    await api.advanceClock(3 * DAY);
    const done = await api.waitFor(escrow.id, "RELEASED");
    // floor(88000 × 200000 / 8800000) = 2000.
    expect(done.settlement).toMatchObject({ paidToSeller: 198000, platformFee: 2000, refundedToBuyer: 0 });
    expect(done.disbursements).toEqual([expect.objectContaining({ reason: "deposit_forfeited" })]);
    expect(await movements(escrow.id)).toEqual([
      ["hold", 200000],
      ["payout", 198000],
      ["fee", 2000],
    ]);
  });

  it("a lapsed inspection of a non-forfeitable deposit returns it", async () => {
    const escrow = await reserved();
    await api.advanceClock(3 * DAY);
    const done = await api.waitFor(escrow.id, "REFUNDED");
    expect(done.settlement).toMatchObject({ refundedToBuyer: 200000, paidToSeller: 0 });
  });
});
