import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY, iso, isoAt, rentalDeposit } from "../support/orders";
import { waitFor } from "../support/wait";
import { Api } from "./client";
import { type LocalServer, startServer } from "./server";

/**
 * Rental deposits end to end (API.md v1.1, "Kind rental_deposit" and "Money
 * that moves in steps"): every path, the money in steps against the sandbox
 * provider's own ledger, and the bad inputs of each new route.
 */
let server: LocalServer;
let api: Api;

beforeAll(async () => {
  server = await startServer();
  api = new Api(server.url);
});
afterAll(async () => server?.stop());

const RENTER = "u-renter-1";
const LANDLORD = "u-landlord-1";

const deposit = (overrides: Record<string, unknown> = {}) =>
  rentalDeposit({ buyerId: RENTER, sellerId: LANDLORD, description: "Deposit, 2BR Chaoyang", ...overrides });

async function held(overrides: Record<string, unknown> = {}) {
  const created = await api.create(deposit(overrides));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return api.waitFor(created.body.id, "FUNDED");
}

const act = async (id: string, action: string, body: Record<string, unknown>, status = 202) => {
  const res = await api.act(id, action, body);
  expect(res.status, `${action}: ${JSON.stringify(res.body)}`).toBe(status);
  return res;
};

/** The provider's ledger for an escrow, summed by type. */
async function ledger(id: string) {
  const res = await fetch(`${server.url}/_local/payments?escrowId=${id}`);
  const { items } = (await res.json()) as { items: { type: string; amount: number; key: string }[] };
  const sum = (type: string) => items.filter((m) => m.type === type).reduce((s, m) => s + m.amount, 0);
  expect(new Set(items.map((m) => m.key)).size).toBe(items.length);
  return {
    hold: sum("hold"),
    void: sum("void"),
    payout: sum("payout"),
    fee: sum("fee"),
    refund: sum("refund"),
  };
}

/** The rules of "Money that moves in steps", and the provider agreeing with the record. */
async function expectMoneyAddsUp(escrow: any) {
  const out = escrow.disbursements.reduce(
    (s: number, d: any) => s + d.paidToSeller + d.refundedToBuyer + d.platformFee,
    0,
  );
  expect(escrow.held + out).toBe(escrow.funded);
  const gross = escrow.disbursements.reduce((s: number, d: any) => s + d.paidToSeller + d.platformFee, 0);
  const fees = escrow.disbursements.reduce((s: number, d: any) => s + d.platformFee, 0);
  expect(fees).toBe(Math.floor((escrow.fee * gross) / escrow.amount));
  const l = await ledger(escrow.id);
  expect(l.hold - l.void - l.payout - l.fee - l.refund).toBe(escrow.held);
  expect(l.payout).toBe(escrow.disbursements.reduce((s: number, d: any) => s + d.paidToSeller, 0));
  expect(l.fee).toBe(fees);
  expect(l.refund).toBe(escrow.disbursements.reduce((s: number, d: any) => s + d.refundedToBuyer, 0));
  if (escrow.settlement) {
    expect(escrow.held).toBe(0);
    expect(
      escrow.settlement.paidToSeller + escrow.settlement.refundedToBuyer + escrow.settlement.platformFee,
    ).toBe(escrow.funded);
  }
}

async function describeExecution(executionArn: string): Promise<{ status: string }> {
  const res = await fetch(`${server.url}/`, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.0",
      "X-Amz-Target": "AWSStepFunctions.DescribeExecution",
    },
    body: JSON.stringify({ executionArn }),
  });
  return (await res.json()) as { status: string };
}

/** The execution's history, as ops read it in the console (GetExecutionHistory). */
async function historyOf(executionArn: string): Promise<{ type: string }[]> {
  const res = await fetch(`${server.url}/`, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.0",
      "X-Amz-Target": "AWSStepFunctions.GetExecutionHistory",
    },
    body: JSON.stringify({ executionArn, maxResults: 1000 }),
  });
  return ((await res.json()) as { events: { type: string }[] }).events;
}

describe("a rental deposit", () => {
  it("is held through the lease: the resource shows the lease and the money", async () => {
    const escrow = await held();
    expect(escrow).toMatchObject({
      kind: "rental_deposit",
      status: "FUNDED",
      funded: 600000,
      held: 600000,
      disbursements: [],
      settlement: null,
      windows: { claimSeconds: 14 * DAY, claimResponseSeconds: 14 * DAY, disputeSeconds: 30 * DAY },
      lease: { movedOutAt: null },
    });
    expect(escrow.deadline).toBe(escrow.lease.endsAt);
    expect(escrow.windows.deliverySeconds).toBeUndefined();
    await expectMoneyAddsUp(escrow);
  });

  it("undisputed return: move-out, then the landlord returns it all", async () => {
    const escrow = await held();
    const moved = await act(escrow.id, "move-out", { actorId: RENTER, note: "keys handed back" });
    expect(moved.body).toMatchObject({ status: "MOVED_OUT", lease: { movedOutAt: expect.any(String) } });
    expect(Date.parse(moved.body.deadline) - Date.parse(moved.body.lease.movedOutAt)).toBe(14 * DAY * 1000);
    await act(escrow.id, "deposit-return", { actorId: LANDLORD });
    const done = await api.waitFor(escrow.id, "REFUNDED");
    expect(done.settlement).toMatchObject({ paidToSeller: 0, refundedToBuyer: 600000, platformFee: 0 });
    expect(done.disbursements).toEqual([
      expect.objectContaining({ reason: "settlement", refundedToBuyer: 600000 }),
    ]);
    await expectMoneyAddsUp(done);
    await api.waitForEvents(escrow.id, ["escrow.funded", "escrow.moved_out", "escrow.refunded"]);
  });

  it("claim accepted: the landlord gets the claim less the pro-rata fee, the renter the rest", async () => {
    const escrow = await held();
    await act(escrow.id, "move-out", { actorId: LANDLORD });
    const claimed = await act(escrow.id, "deduction-claim", {
      actorId: LANDLORD,
      items: [
        { category: "cleaning", amount: 30000, description: "Deep clean" },
        {
          category: "damage",
          amount: 90000,
          description: "Cracked bathroom tile",
          evidence: [
            {
              name: "tile.jpg",
              contentType: "image/jpeg",
              sha256: "a".repeat(64),
              uri: "https://files.example.com/tile.jpg",
            },
          ],
        },
      ],
    });
    expect(claimed.body).toMatchObject({
      status: "CLAIMED",
      claim: {
        total: 120000,
        acceptedAmount: null,
        items: [{ category: "cleaning" }, { category: "damage" }],
      },
    });
    await act(escrow.id, "claim-response", { actorId: RENTER, accept: true });
    const done = await api.waitFor(escrow.id, "SETTLED");
    // Fee on the landlord's 120000 of 600000: floor(6000 × 120000 / 600000) = 1200.
    expect(done.settlement).toMatchObject({
      paidToSeller: 118800,
      platformFee: 1200,
      refundedToBuyer: 480000,
    });
    await expectMoneyAddsUp(done);
    await api.waitForEvents(escrow.id, ["escrow.moved_out", "escrow.deductions_claimed", "escrow.settled"]);
  });

  it("a claim of the whole deposit accepted is RELEASED", async () => {
    const escrow = await held();
    await act(escrow.id, "move-out", { actorId: RENTER });
    await act(escrow.id, "deduction-claim", {
      actorId: LANDLORD,
      items: [{ category: "unpaid_rent", amount: 600000, description: "Two months unpaid" }],
    });
    await act(escrow.id, "claim-response", { actorId: RENTER, accept: true });
    const done = await api.waitFor(escrow.id, "RELEASED");
    expect(done.settlement).toMatchObject({ paidToSeller: 594000, platformFee: 6000, refundedToBuyer: 0 });
    await expectMoneyAddsUp(done);
  });

  it("claim rejected in part: the undisputed money moves at once, ops split the contested rest", async () => {
    const escrow = await held();
    await act(escrow.id, "move-out", { actorId: RENTER });
    await act(escrow.id, "deduction-claim", {
      actorId: LANDLORD,
      items: [
        { category: "damage", amount: 100000, description: "Sofa" },
        { category: "cleaning", amount: 20000, description: "Cleaning" },
      ],
    });
    const rejected = await act(escrow.id, "claim-response", {
      actorId: RENTER,
      accept: false,
      acceptedAmount: 20000,
      note: "The sofa was already damaged",
    });
    expect(rejected.body).toMatchObject({
      status: "DISPUTED",
      pendingAction: "claim-response",
      deadline: null,
      dispute: { openedBy: "buyer", contestedAmount: 100000 },
      claim: { total: 120000, acceptedAmount: 20000 },
    });
    // At once: 480000 back to the renter and 20000 to the landlord (fee 200); 100000 stays held.
    const partial = await api.waitFor(escrow.id, "DISPUTED");
    expect(partial).toMatchObject({ held: 100000, settlement: null });
    expect(partial.disbursements).toEqual([
      expect.objectContaining({
        reason: "undisputed_part",
        refundedToBuyer: 480000,
        paidToSeller: 19800,
        platformFee: 200,
      }),
    ]);
    expect(Date.parse(partial.deadline) - Date.parse(partial.disbursements[0].at)).toBe(30 * DAY * 1000);
    await expectMoneyAddsUp(partial);
    await api.waitForEvents(escrow.id, ["escrow.deductions_claimed", "escrow.partially_settled"]);

    // Ops decide the contested part only: a refund of more than it is 400, a split of it is fine.
    const tooMuch = await api.act(escrow.id, "resolution", {
      outcome: "split",
      refundAmount: 100000,
      note: "x",
    });
    expect(tooMuch.status).toBe(400);
    await act(escrow.id, "resolution", { outcome: "split", refundAmount: 40000, note: "half the sofa" });
    const done = await api.waitFor(escrow.id, "SETTLED");
    // The landlord's gross in all: 20000 + 60000 = 80000 → fee floor(6000 × 80000 / 600000) = 800 in all.
    expect(done.settlement).toMatchObject({ refundedToBuyer: 520000, paidToSeller: 79200, platformFee: 800 });
    expect(done.disbursements.map((d: any) => d.reason)).toEqual(["undisputed_part", "settlement"]);
    await expectMoneyAddsUp(done);
  });

  it("claim rejected in full with nothing undisputed: straight to the dispute", async () => {
    const escrow = await held();
    await act(escrow.id, "move-out", { actorId: RENTER });
    await act(escrow.id, "deduction-claim", {
      actorId: LANDLORD,
      items: [{ category: "damage", amount: 600000, description: "Flooding" }],
    });
    const rejected = await act(escrow.id, "claim-response", { actorId: RENTER, accept: false });
    expect(rejected.body).toMatchObject({
      status: "DISPUTED",
      pendingAction: null,
      dispute: { contestedAmount: 600000 },
    });
    expect(rejected.body.deadline).not.toBeNull();
    await act(escrow.id, "resolution", { outcome: "release", note: "flooding proven" });
    const done = await api.waitFor(escrow.id, "RELEASED");
    await expectMoneyAddsUp(done);
  });

  it("renewal: the lease and the deadline move; only a later end, at most five years out", async () => {
    const escrow = await held({ lease: { startsAt: iso(-DAY), endsAt: iso(4) } });
    const execution = (await api.call("GET", `/v1/ops/escrows/${escrow.id}`, { as: "ops" })).body.ops
      .executionArn;
    // Renewed once the lease's wait holds its token (its task submitted), so the renewal signals the wait
    // itself (one that comes first is caught up by the wait: test/app/service.test.ts covers that path).
    await waitFor(async () => (await historyOf(execution)).some((e) => e.type === "TaskSubmitted"), {
      timeoutMs: 15_000,
      what: "the lease's wait to hold its token",
    });
    const endsAt = iso(2 * 365 * DAY);
    const renewed = await act(escrow.id, "lease-renewal", { actorId: RENTER, endsAt });
    expect(renewed.body).toMatchObject({ status: "FUNDED", deadline: endsAt, lease: { endsAt } });
    await api.waitForEvents(escrow.id, ["escrow.funded", "escrow.lease_renewed"]);
    for (const [bad, path] of [
      [iso(DAY), "endsAt"],
      [iso(6 * 365 * DAY), "endsAt"],
      ["next year", "endsAt"],
    ]) {
      const res = await api.act(escrow.id, "lease-renewal", { actorId: RENTER, endsAt: bad });
      expect(res.status, bad).toBe(400);
      expect(res.body.errors.map((e: any) => e.path)).toContain(path);
    }
    // Only the renter renews.
    expect(
      (await api.act(escrow.id, "lease-renewal", { actorId: LANDLORD, endsAt: iso(3 * 365 * DAY) })).status,
    ).toBe(403);
    // The workflow follows: its wait now runs to the new end — two years, so it is parked in the record
    // (the execution ends) instead of timing out at the old end.
    await waitFor(async () => (await describeExecution(execution)).status === "SUCCEEDED", {
      timeoutMs: 15_000,
      what: "the lease wait to park",
    });
    expect((await api.get(escrow.id)).body).toMatchObject({ status: "FUNDED", deadline: endsAt });
  });

  it("cancellation before lease.startsAt refunds everything; after it, 409", async () => {
    const before = await held({ lease: { startsAt: iso(7 * DAY), endsAt: iso(365 * DAY) } });
    await act(before.id, "cancellation", { actorId: LANDLORD, reason: "flat sold" });
    const refunded = await api.waitFor(before.id, "REFUNDED");
    expect(refunded.settlement).toMatchObject({ refundedToBuyer: 600000, paidToSeller: 0, platformFee: 0 });
    await expectMoneyAddsUp(refunded);

    const after = await held();
    const res = await api.act(after.id, "cancellation", { actorId: RENTER });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe("invalid_transition");
    expect((await api.get(after.id)).body).toMatchObject({ status: "FUNDED", version: after.version });
  });
});

describe("bad inputs change nothing", () => {
  const problem = (res: any, status: number, code: string) => {
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.contentType).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe(code);
  };

  it("create: lease only and always for rentals, windows of the kind, a sensible lease", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ lease: undefined }, "lease"],
      [{ lease: { startsAt: iso(0), endsAt: iso(-DAY) } }, "lease.endsAt"],
      [{ lease: { startsAt: iso(2 * DAY), endsAt: iso(DAY) } }, "lease.endsAt"],
      [{ lease: { startsAt: iso(0), endsAt: iso(6 * 365 * DAY) } }, "lease.endsAt"],
      [{ lease: { startsAt: "tomorrow", endsAt: iso(DAY) } }, "lease.startsAt"],
      [{ windows: { deliverySeconds: 60 } }, "windows.deliverySeconds"],
      [{ windows: { claimSeconds: 0 } }, "windows.claimSeconds"],
      [{ windows: { claimSeconds: 91 * DAY } }, "windows.claimSeconds"],
      [{ kind: "goods" }, "lease"],
      [{ kind: "goods", lease: undefined, windows: { claimSeconds: 60 } }, "windows.claimSeconds"],
    ];
    for (const [overrides, path] of cases) {
      const body = { ...deposit(), ...overrides };
      const res = await api.create(body);
      problem(res, 400, "validation_error");
      expect(
        res.body.errors.map((e: any) => e.path),
        JSON.stringify(overrides),
      ).toContain(path);
    }
  });

  it("each new route: shape, escrow values, actor, kind and status, in that order", async () => {
    const escrow = await held();
    const goods = await api.create({
      buyerId: RENTER,
      sellerId: LANDLORD,
      amount: 1000,
      currency: "CNY",
      paymentMethod: "pm_sandbox_ok",
    });
    await api.waitFor(goods.body.id, "FUNDED");
    const invalid = async (action: string, body: Record<string, unknown>) =>
      problem(await api.act(escrow.id, action, body), 400, "validation_error");
    // Shape (400).
    await invalid("move-out", { actorId: RENTER, extra: 1 });
    await invalid("deduction-claim", { actorId: LANDLORD, items: [] });
    await invalid("deduction-claim", {
      actorId: LANDLORD,
      items: [{ category: "pets", amount: 1, description: "x" }],
    });
    await invalid("deduction-claim", {
      actorId: LANDLORD,
      items: Array.from({ length: 21 }, () => ({ category: "other", amount: 1, description: "x" })),
    });
    for (const evidence of [
      [{ name: "a", contentType: "image/png", sha256: "A".repeat(64), uri: "https://x.example/a" }],
      [{ name: "a", contentType: "image/png", sha256: "a".repeat(64), uri: "http://x.example/a" }],
      Array.from({ length: 11 }, () => ({
        name: "a",
        contentType: "image/png",
        sha256: "a".repeat(64),
        uri: "https://x.example/a",
      })),
    ])
      await invalid("deduction-claim", {
        actorId: LANDLORD,
        items: [{ category: "damage", amount: 1, description: "x", evidence }],
      });
    await invalid("claim-response", { actorId: RENTER, accept: true, acceptedAmount: 5 });
    // Against the escrow's values (400) before the actor (403).
    await invalid("deduction-claim", {
      actorId: RENTER,
      items: [{ category: "damage", amount: 600001, description: "more than held" }],
    });
    // Actor (403) before kind and status (409).
    problem(await api.act(escrow.id, "deposit-return", { actorId: RENTER }), 403, "forbidden");
    problem(await api.act(escrow.id, "move-out", { actorId: "u-stranger" }), 403, "forbidden");
    // Kind (409): goods actions on a rental, rental actions on goods.
    problem(await api.act(escrow.id, "delivery", { actorId: LANDLORD }), 409, "invalid_transition");
    problem(await api.act(goods.body.id, "move-out", { actorId: RENTER }), 409, "invalid_transition");
    // Status (409).
    problem(await api.act(escrow.id, "deposit-return", { actorId: LANDLORD }), 409, "invalid_transition");
    problem(
      await api.act(escrow.id, "claim-response", { actorId: RENTER, accept: true }),
      409,
      "invalid_transition",
    );
    // Another tenant's escrow does not exist.
    problem(await api.act(escrow.id, "move-out", { actorId: RENTER }, { as: "other" }), 404, "not_found");
    // Nothing changed.
    expect((await api.get(escrow.id)).body).toMatchObject({ status: "FUNDED", version: escrow.version });
    expect(
      (await api.call("GET", `/v1/escrows/${escrow.id}/events`)).body.items.map((e: any) => e.type),
    ).toEqual(["created", "funded"]);
  });

  it("lists and filters find rentals by their new statuses", async () => {
    const escrow = await held();
    await act(escrow.id, "move-out", { actorId: RENTER });
    await api.waitFor(escrow.id, "MOVED_OUT");
    const list = await api.call("GET", `/v1/escrows?buyerId=${RENTER}&status=MOVED_OUT&limit=100`);
    expect(list.status).toBe(200);
    expect(list.body.items.map((e: any) => e.id)).toContain(escrow.id);
    // Idempotent replays work on the new routes.
    const again = await api.act(escrow.id, "deposit-return", { actorId: LANDLORD }, { key: "ret-1" });
    const replay = await api.act(escrow.id, "deposit-return", { actorId: LANDLORD }, { key: "ret-1" });
    expect(again.status).toBe(202);
    expect(replay.status).toBe(202);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
  });
});

/**
 * Windows that pass by themselves, at their real lengths: the service's clock is moved (API.md v1.2,
 * `POST /_local/clock`) instead of waiting. Last in this file: a move moves every escrow of this service.
 */
describe("windows that pass by themselves (the service's clock moved)", () => {
  it("claim silent: when the response window passes the claim is accepted as claimed", async () => {
    const escrow = await held();
    await act(escrow.id, "move-out", { actorId: RENTER });
    await act(escrow.id, "deduction-claim", {
      actorId: LANDLORD,
      items: [{ category: "utilities", amount: 50000, description: "Final utilities bill" }],
    });
    await api.advanceClock(14 * DAY);
    const done = await api.waitFor(escrow.id, "SETTLED");
    expect(done.settlement).toMatchObject({ paidToSeller: 49500, platformFee: 500, refundedToBuyer: 550000 });
    await expectMoneyAddsUp(done);
    // A late answer is 409.
    await act(escrow.id, "claim-response", { actorId: RENTER, accept: false }, 409);
  });

  it("claim window lapsing: no claim in time returns the whole deposit", async () => {
    const escrow = await held();
    await act(escrow.id, "move-out", { actorId: RENTER });
    await api.advanceClock(14 * DAY);
    const done = await api.waitFor(escrow.id, "REFUNDED");
    expect(done.settlement).toMatchObject({ refundedToBuyer: 600000, paidToSeller: 0, platformFee: 0 });
    await expectMoneyAddsUp(done);
    await act(
      escrow.id,
      "deduction-claim",
      {
        actorId: LANDLORD,
        items: [{ category: "other", amount: 1, description: "Too late" }],
      },
      409,
    );
  });

  it("dispute window lapsing: the contested part goes back to the renter and ops are alerted", async () => {
    const escrow = await held();
    await act(escrow.id, "move-out", { actorId: RENTER });
    await act(escrow.id, "deduction-claim", {
      actorId: LANDLORD,
      items: [{ category: "damage", amount: 200000, description: "Wall" }],
    });
    await act(escrow.id, "claim-response", { actorId: RENTER, accept: false, acceptedAmount: 50000 });
    await api.waitForEvents(escrow.id, ["escrow.partially_settled"]);
    await api.advanceClock(30 * DAY);
    const done = await api.waitFor(escrow.id, "SETTLED");
    // 400000 unclaimed + 150000 contested back to the renter; 50000 to the landlord (fee 500).
    expect(done.settlement).toMatchObject({ refundedToBuyer: 550000, paidToSeller: 49500, platformFee: 500 });
    await expectMoneyAddsUp(done);
    const alerts = await fetch(`${server.url}/_local/notifications?escrowId=${escrow.id}&topic=ops`);
    const ops = ((await alerts.json()) as { items: { event: { type: string } }[] }).items.map(
      (i) => i.event.type,
    );
    expect(ops).toContain("escrow.dispute_unresolved");
  });

  it("the lease ending moves the escrow to MOVED_OUT by itself", async () => {
    // A two-year lease: parked in the record, no execution waits for it (the reconciler continues it).
    const now = await api.now();
    const escrow = await held({ lease: { startsAt: isoAt(now, -DAY), endsAt: isoAt(now, 2 * 365 * DAY) } });
    await api.advanceClock(2 * 365 * DAY - 60);
    expect((await api.get(escrow.id)).body).toMatchObject({ status: "FUNDED" });
    await api.advanceClock(60);
    const moved = await api.waitFor(escrow.id, "MOVED_OUT");
    expect(moved.lease.movedOutAt).toBe(escrow.lease.endsAt);
    await api.waitForEvents(escrow.id, ["escrow.funded", "escrow.moved_out"]);
  });
});
