import { StopExecutionCommand } from "@aws-sdk/client-sfn";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../support/wait";
import { order } from "./client";
import {
  api,
  BUYER,
  delivered,
  endFault,
  executionArn,
  executionsOf,
  funded,
  GRACE_SECONDS,
  historyOf,
  no500,
  SELLER,
  settles,
  sfn,
  useFaultedService,
} from "./faults-fixture";

/**
 * API.md "When dependencies fail", end to end on the running local service:
 * each dependency fails through `/_local/faults` while escrows go through
 * their lifecycle, and what a marketplace would notice is checked — the
 * answers (2xx, or 503 that changed nothing; never 500), the outcome the
 * record dictates once the fault clears, every event published with one body
 * per id, and the provider's ledger equal to the settlement. The reconciler
 * runs at its local default period (60 s); where a recovery goes through it,
 * the service's clock is moved past its marks instead of waiting.
 */
useFaultedService();

describe("/_local/faults over HTTP (API.md, local mode)", () => {
  afterEach(async () => api.clearFaults());

  it("201 { id, until } for a fault; GET lists those in force; DELETE ends one or all; 400 problems for malformed bodies", async () => {
    const before = Date.now();
    const created = await api.call("POST", "/_local/faults", {
      token: null,
      body: { target: "payments", operation: "payout", mode: "ambiguous", probability: 0.5, seconds: 120 },
    });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(["id", "until"]);
    expect(typeof created.body.id).toBe("string");
    const until = Date.parse(created.body.until);
    expect(created.body.until).toBe(new Date(until).toISOString());
    expect(until).toBeGreaterThanOrEqual(before + 120_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 120_000);

    const second = await api.injectFault({ target: "sns", mode: "error", seconds: 60 });
    const listed = await api.call("GET", "/_local/faults", { token: null });
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([
      expect.objectContaining({
        id: created.body.id,
        target: "payments",
        operation: "payout",
        mode: "ambiguous",
        probability: 0.5,
        until: created.body.until,
      }),
      // probability defaults to 1
      expect.objectContaining({ id: second.id, target: "sns", mode: "error", probability: 1 }),
    ]);

    // DELETE one: it is no longer listed, and deleting it again is a 404 problem
    expect((await api.call("DELETE", `/_local/faults/${created.body.id}`, { token: null })).status).toBe(204);
    const after = await api.call("GET", "/_local/faults", { token: null });
    expect(after.body.items.map((f: { id: string }) => f.id)).toEqual([second.id]);
    const again = await api.call("DELETE", `/_local/faults/${created.body.id}`, { token: null });
    expect(again.status).toBe(404);
    expect(again.contentType).toMatch(/application\/problem\+json/);
    expect(again.body.code).toBe("not_found");

    // DELETE all
    await api.injectFault({ target: "dynamodb", operation: "UpdateItem", mode: "error", seconds: 60 });
    expect((await api.call("DELETE", "/_local/faults", { token: null })).status).toBe(204);
    expect((await api.call("GET", "/_local/faults", { token: null })).body.items).toEqual([]);

    // a fault ends by itself at `until`
    const short = await api.injectFault({ target: "lambda", mode: "error", seconds: 1 });
    await waitFor(
      async () =>
        !(await api.call("GET", "/_local/faults", { token: null })).body.items.some(
          (f: { id: string }) => f.id === short.id,
        ),
      { timeoutMs: 10_000, intervalMs: 100, what: "the 1-second fault to expire" },
    );

    const malformed: [string, string | Record<string, unknown>][] = [
      ["not JSON", "{target: sns"],
      ["no mode", { target: "sns", seconds: 5 }],
      ["no seconds", { target: "sns", mode: "error" }],
      ["unknown target", { target: "s3", mode: "error", seconds: 5 }],
      ["unknown mode", { target: "sns", mode: "slow", seconds: 5 }],
      ["seconds 0", { target: "sns", mode: "error", seconds: 0 }],
      ["seconds 3601", { target: "sns", mode: "error", seconds: 3601 }],
      ["fractional seconds", { target: "sns", mode: "error", seconds: 1.5 }],
      ["probability above 1", { target: "sns", mode: "error", seconds: 5, probability: 1.5 }],
      ["negative probability", { target: "sns", mode: "error", seconds: 5, probability: -0.1 }],
      ["ambiguous SNS", { target: "sns", mode: "ambiguous", seconds: 5 }],
      ["ambiguous Lambda", { target: "lambda", mode: "ambiguous", seconds: 5 }],
      ["unknown field", { target: "sns", mode: "error", seconds: 5, extra: true }],
      ["not an object", "[]"],
    ];
    for (const [what, body] of malformed) {
      const res = await api.call("POST", "/_local/faults", {
        token: null,
        ...(typeof body === "string"
          ? { raw: body, headers: { "Content-Type": "application/json" } }
          : { body }),
      });
      expect(res.status, what).toBe(400);
      expect(res.contentType, what).toMatch(/application\/problem\+json/);
      expect(res.body, what).toMatchObject({ status: 400, code: "validation_error" });
    }
    // none of them was added
    expect((await api.call("GET", "/_local/faults", { token: null })).body.items).toEqual([]);
  });
});

describe("a dependency fails while escrows go through their lifecycle", () => {
  afterEach(async () => {
    await api.clearFaults();
    no500();
  });

  it("DynamoDB failing: every API call is 503 unavailable with Retry-After and changes nothing; afterwards everything works", async () => {
    const escrow = await funded();
    const createKey = `g-create-${crypto.randomUUID()}`;
    const deliveryKey = `g-delivery-${crypto.randomUUID()}`;
    await api.injectFault({ target: "dynamodb", mode: "error", seconds: 120 });

    const during = [
      await api.create(order({ description: "during the outage" }), createKey),
      await api.get(escrow.id),
      await api.call("GET", "/v1/escrows?limit=5"),
      await api.call("GET", `/v1/escrows/${escrow.id}/events`),
      await api.act(escrow.id, "delivery", { actorId: SELLER }, { key: deliveryKey }),
      await api.act(escrow.id, "cancellation", { actorId: BUYER }),
      await api.call("GET", "/v1/ops/escrows", { as: "ops" }),
    ];
    for (const res of during) {
      expect(res.status, JSON.stringify(res.body)).toBe(503);
      expect(res.contentType).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 503, code: "unavailable" });
      const retryAfter = Number(res.headers.get("retry-after"));
      expect(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After ${retryAfter}`).toBe(true);
    }
    await api.clearFaults();

    // nothing changed: the escrow is as it was, the creation and the delivery were never stored
    const after = await api.get(escrow.id);
    expect(after.status).toBe(200);
    expect(after.body).toEqual(escrow);
    const create = await api.create(order({ description: "during the outage" }), createKey);
    expect(create.status).toBe(201);
    expect(create.headers.get("idempotent-replayed")).toBeNull();
    expect(create.body).toMatchObject({ status: "PENDING_FUNDS", version: 1 });
    const delivery = await api.act(escrow.id, "delivery", { actorId: SELLER }, { key: deliveryKey });
    expect(delivery.status).toBe(202);
    expect(delivery.headers.get("idempotent-replayed")).toBeNull();
    expect(delivery.body).toMatchObject({ status: "DELIVERED", version: escrow.version + 1 });

    // and everything works
    expect((await api.act(escrow.id, "confirmation", { actorId: BUYER })).status).toBe(202);
    const released = await settles(escrow.id, "RELEASED");
    expect(released.types).toEqual(["escrow.funded", "escrow.delivered", "escrow.released"]);
    const other = await settles(create.body.id, "FUNDED");
    expect(other.ledger.map((m) => m.type)).toEqual(["hold"]);
  });

  it("DynamoDB failing for one operation (PutItem): an action answers 2xx and is carried out, or 503 and changes nothing", async () => {
    const escrow = await funded();
    const deliveryKey = `g2-delivery-${crypto.randomUUID()}`;
    await api.injectFault({ target: "dynamodb", operation: "PutItem", mode: "error", seconds: 120 });
    const delivery = await api.act(escrow.id, "delivery", { actorId: SELLER }, { key: deliveryKey });
    const now = await api.get(escrow.id); // reads still work
    expect(now.status).toBe(200);
    if (delivery.status === 503) {
      expect(delivery.body.code).toBe("unavailable");
      expect(now.body, "a 503 must change nothing").toEqual(escrow);
    } else {
      expect(delivery.status).toBe(202);
      expect(now.body).toMatchObject({ status: "DELIVERED" });
    }
    await api.clearFaults();
    // the integrator retries with the same key until it is answered
    const retried = await waitFor(
      async () => {
        const res = await api.act(escrow.id, "delivery", { actorId: SELLER }, { key: deliveryKey });
        return res.status === 202 && res;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: "the delivery's retry to be answered 202" },
    );
    expect(retried.body).toMatchObject({ status: "DELIVERED", version: escrow.version + 1 });
    expect((await api.act(escrow.id, "confirmation", { actorId: BUYER })).status).toBe(202);
    await settles(escrow.id, "RELEASED");
  });

  it("a DynamoDB write that takes effect but times out (ambiguous) at creation: 201, or 503 and nothing created", async () => {
    await api.injectFault({ target: "dynamodb", operation: "PutItem", mode: "ambiguous", seconds: 3 });
    const key = `g3-create-${crypto.randomUUID()}`;
    const body = order({ description: "ambiguous creation" });
    const first = await api.create(body, key);
    await api.clearFaults();
    // The integrator retries with the same key: a fresh 201 shows the first attempt created nothing.
    const retry = await api.create(body, key);
    if (first.status === 503) {
      expect(first.body.code).toBe("unavailable");
      expect(
        { status: retry.status, replayed: retry.headers.get("idempotent-replayed") },
        `a 503 must not have created the escrow: ${JSON.stringify(retry.body)}`,
      ).toEqual({ status: 201, replayed: null });
    } else {
      expect(first.status, JSON.stringify(first.body)).toBe(201);
      expect(retry.status).toBe(201);
      expect(retry.body).toEqual(first.body);
    }
    const done = await settles(retry.body.id, "FUNDED");
    expect(done.ledger.map((m) => m.type)).toEqual(["hold"]);
  });

  it("an execution that ends before its hold (stopped, or dead) is restarted from the record once: the hold, and the actions after it, are carried out", async () => {
    // Every task invocation fails: HoldFunds is retried (for ever, at a hundredth of AWS's back-off)…
    const lambda = await api.injectFault({ target: "lambda", mode: "error", seconds: 300 });
    const created = await api.create(order());
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await waitFor(async () => (await historyOf(id)).some((e) => e.type === "TaskFailed"), {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: "HoldFunds to fail",
    });
    // …until the execution is stopped (by an operator, or as a bug would end it).
    await sfn.send(new StopExecutionCommand({ executionArn: executionArn(id), error: "Stopped" }));
    await endFault(lambda.id);
    expect(await api.get(id)).toMatchObject({ status: 200, body: { status: "PENDING_FUNDS" } });
    // The hold was due within the grace: the reconciler finds the execution the record names stopped, and
    // restarts it — once, under a name derived from the record's version.
    await api.advanceClock(GRACE_SECONDS + 1);
    await api.waitFor(id, "FUNDED");
    expect((await api.act(id, "delivery", { actorId: SELLER })).status).toBe(202);
    expect((await api.act(id, "confirmation", { actorId: BUYER })).status).toBe(202);
    const released = await settles(id, "RELEASED");
    expect(released.types).toEqual(["escrow.funded", "escrow.delivered", "escrow.released"]);
    expect(released.ledger.map((m) => m.type).sort()).toEqual(["fee", "hold", "payout"]);
    expect((await executionsOf(id)).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: id, status: "ABORTED" },
      { name: `${id}-r1`, status: "SUCCEEDED" },
    ]);
  });

  it("SendTaskSuccess refused after a confirmation: 202, and the reconciler carries it out once the fault clears", async () => {
    const escrow = await delivered();
    await api.injectFault({
      target: "stepfunctions",
      operation: "SendTaskSuccess",
      mode: "error",
      seconds: 120,
    });
    const confirmed = await api.act(escrow.id, "confirmation", { actorId: BUYER });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(202);
    expect(confirmed.body).toMatchObject({ status: "DELIVERED", pendingAction: "confirmation" });
    // while Step Functions refuses, nothing can carry it out (not even the reconciler)
    await api.reconcile();
    expect((await api.get(escrow.id)).body).toMatchObject({
      status: "DELIVERED",
      pendingAction: "confirmation",
    });
    expect(await api.payments(escrow.id)).toHaveLength(1);

    await api.clearFaults();
    const released = await settles(escrow.id, "RELEASED");
    expect(released.escrow.settlement).toMatchObject({ paidToSeller: 12609, platformFee: 390 });
    expect(released.types).toEqual(["escrow.funded", "escrow.delivered", "escrow.released"]);
  });

  it("a payout that takes effect but times out: RELEASED, one payout in the ledger, amounts equal the settlement", async () => {
    const escrow = await delivered();
    await api.injectFault({ target: "payments", operation: "payout", mode: "ambiguous", seconds: 4 });
    expect((await api.act(escrow.id, "confirmation", { actorId: BUYER })).status).toBe(202);
    const released = await settles(escrow.id, "RELEASED");
    expect(released.ledger.map((m) => m.type).sort()).toEqual(["fee", "hold", "payout"]);
    expect(released.ledger.find((m) => m.type === "payout")?.amount).toBe(12609);
    expect(released.escrow.settlement).toMatchObject({ paidToSeller: 12609, platformFee: 390 });
    // the payout did time out (the task failed and was retried with the same key)
    const failed = (await historyOf(escrow.id)).filter((e) => e.type === "TaskFailed");
    expect(failed.length).toBeGreaterThan(0);
  });

  it("a hold that takes effect but times out: FUNDED, one hold", async () => {
    await api.injectFault({ target: "payments", operation: "hold", mode: "ambiguous", seconds: 3 });
    const created = await api.create(order());
    expect(created.status).toBe(201);
    const done = await settles(created.body.id, "FUNDED");
    expect(done.ledger.map((m) => [m.type, m.amount])).toEqual([["hold", 12999]]);
    expect(done.types).toEqual(["escrow.funded"]);
    const failed = (await historyOf(created.body.id)).filter((e) => e.type === "TaskFailed");
    expect(failed.length).toBeGreaterThan(0);
  });
});
