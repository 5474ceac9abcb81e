import { describe, expect, it } from "vitest";
import { BUYER, order, requestToken, SELLER } from "./client";
import { expectProblem, funded } from "./expect";
import { useLocalService } from "./server";

/**
 * Authentication, tenants, actors, validation, idempotency and races, end to
 * end. Every refusal must be a problem document and must change nothing.
 */
const api = useLocalService();

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

describe("authentication and tenants", () => {
  it("serves health without a token", async () => {
    const res = await api.call("GET", "/v1/health", { token: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok" });
  });

  it("issues client-credentials tokens like Cognito and refuses bad clients", async () => {
    const ok = await requestToken(
      api.url,
      "demo-ops",
      "demo-ops-secret",
      "grant_type=client_credentials&scope=escrow%2Fops",
    );
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      token_type: "Bearer",
      expires_in: expect.any(Number),
      access_token: expect.any(String),
    });
    const bad = await requestToken(api.url, "demo-ops", "wrong");
    expect(bad.status).toBe(401);
  });

  it("answers 401 for missing, malformed, forged, unsigned and expired tokens", async () => {
    const good = await api.token();
    const [header, payload] = good.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    const forged = `${header}.${b64url({ ...claims, client_id: "other-marketplace" })}.${good.split(".")[2]}`;
    const none = `${b64url({ alg: "none", typ: "JWT" })}.${payload}.`;
    const expired = `${header}.${b64url({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 })}.${good.split(".")[2]}`;
    for (const token of [null, "garbage", forged, none, expired]) {
      const res = await api.call("GET", "/v1/escrows", { token });
      expectProblem(res, 401, "unauthorized");
    }
    const basic = await api.call("GET", "/v1/escrows", {
      token: null,
      headers: { Authorization: "Basic abc" },
    });
    expectProblem(basic, 401, "unauthorized");
  });

  it("answers 403 to a marketplace token on ops routes and to an ops token on marketplace actions", async () => {
    const escrow = await funded(api);
    expectProblem(await api.call("GET", "/v1/ops/escrows", { as: "marketplace" }), 403, "forbidden");
    expectProblem(
      await api.act(escrow.id, "resolution", { outcome: "refund", note: "x" }, { as: "marketplace" }),
      403,
      "forbidden",
    );
    expectProblem(await api.act(escrow.id, "delivery", { actorId: SELLER }, { as: "ops" }), 403, "forbidden");
    expect((await api.get(escrow.id, "ops")).status).toBe(200);
  });

  it("hides one tenant's escrows from another (404), in reads, lists and actions", async () => {
    const escrow = await funded(api);
    expectProblem(await api.get(escrow.id, "other"), 404, "not_found");
    expectProblem(
      await api.call("GET", `/v1/escrows/${escrow.id}/events`, { as: "other" }),
      404,
      "not_found",
    );
    expectProblem(
      await api.act(escrow.id, "delivery", { actorId: SELLER }, { as: "other" }),
      404,
      "not_found",
    );
    const list = await api.call("GET", `/v1/escrows?buyerId=${BUYER}`, { as: "other" });
    expect(list.body.items.map((e: { id: string }) => e.id)).not.toContain(escrow.id);
    expect((await api.get(escrow.id)).body.status).toBe("FUNDED");
  });

  it("answers 403 to the wrong party and changes nothing", async () => {
    const escrow = await funded(api);
    expectProblem(await api.act(escrow.id, "delivery", { actorId: BUYER }), 403, "forbidden");
    expectProblem(await api.act(escrow.id, "cancellation", { actorId: "u-stranger" }), 403, "forbidden");
    expectProblem(
      await api.act(escrow.id, "dispute", { actorId: "u-stranger", reason: "x" }),
      403,
      "forbidden",
    );
    expect((await api.get(escrow.id)).body).toMatchObject({ status: "FUNDED", version: escrow.version });
  });

  it("answers 404 for unknown escrows and routes, 409 for actions in the wrong status", async () => {
    expectProblem(await api.get("esc_00000000000000000000000000"), 404, "not_found");
    expectProblem(await api.get("not-an-id"), 404, "not_found");
    const escrow = await funded(api);
    const res = await api.act(escrow.id, "confirmation", { actorId: BUYER });
    expectProblem(res, 409, "invalid_transition");
    expect((await api.get(escrow.id)).body.version).toBe(escrow.version);
  });
});

describe("validation", () => {
  const BAD_CREATES: [string, Record<string, unknown>][] = [
    ["float amount", { amount: 129.99 }],
    ["string amount", { amount: "12999" }],
    ["zero amount", { amount: 0 }],
    ["negative amount", { amount: -5 }],
    ["unsafe amount", { amount: 9007199254740992 }],
    ["unknown currency", { currency: "BTC" }],
    ["lower-case currency", { currency: "usd" }],
    ["missing buyer", { buyerId: undefined }],
    ["missing seller", { sellerId: undefined }],
    ["missing amount", { amount: undefined }],
    ["missing currency", { currency: undefined }],
    ["missing payment method", { paymentMethod: undefined }],
    ["same buyer and seller", { buyerId: "u-same", sellerId: "u-same" }],
    ["empty buyer", { buyerId: "" }],
    ["129-character seller", { sellerId: "s".repeat(129) }],
    ["fee above amount", { fee: 13000 }],
    ["negative fee", { fee: -1 }],
    ["float fee", { fee: 1.5 }],
    ["non-sandbox payment method", { paymentMethod: "pm_live_visa" }],
    ["unknown kind", { kind: "spaceship" }],
    ["zero-second window", { windows: { deliverySeconds: 0 } }],
    ["91-day window", { windows: { confirmationSeconds: 91 * 86400 } }],
    ["unknown window", { windows: { foreverSeconds: 5 } }],
    [
      "21 metadata keys",
      { metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, "v"])) },
    ],
    ["non-string metadata", { metadata: { n: 1 } }],
    ["unknown field", { colour: "red" }],
  ];

  it.each(BAD_CREATES)("rejects a create with %s (400) and writes nothing", async (_, change) => {
    const buyerId = `u-val-${crypto.randomUUID()}`;
    const body = { ...order({ buyerId }), ...change };
    const res = await api.create(body);
    expectProblem(res, 400, "validation_error");
    expect(res.body.errors?.length).toBeGreaterThan(0);
    const list = await api.call(
      "GET",
      `/v1/escrows?buyerId=${encodeURIComponent(String(body.buyerId ?? buyerId))}`,
    );
    expect(list.body.items ?? []).toEqual([]);
  });

  it("rejects malformed JSON, a non-JSON body, a body over 16 KiB and a missing Idempotency-Key", async () => {
    const create = (raw: string, contentType: string, key: string) =>
      api.call("POST", "/v1/escrows", {
        raw,
        headers: { "Content-Type": contentType, "Idempotency-Key": key },
      });
    expectProblem(await create("{oops", "application/json", "m1"), 400, "validation_error");
    expectProblem(await create("a=b", "application/x-www-form-urlencoded", "m2"), 400, "validation_error");
    expectProblem(await api.create(order({ description: "x".repeat(17 * 1024) })), 400, "validation_error");
    expectProblem(await api.call("POST", "/v1/escrows", { body: order() }), 400, "validation_error");
  });

  it("rejects bad action bodies with 400 and changes nothing", async () => {
    const escrow = await funded(api);
    const cases: [string, Record<string, unknown>][] = [
      ["delivery", {}],
      ["delivery", { actorId: SELLER, carrier: 5 }],
      ["extension", { actorId: BUYER, seconds: 0 }],
      ["extension", { actorId: BUYER, seconds: 31 * 86400 }],
      ["refund-request", { actorId: BUYER, reason: "x", amount: 0 }],
      ["refund-request", { actorId: BUYER, reason: "x", amount: 1.5 }],
      ["refund-request", { actorId: BUYER }],
      ["refund-response", { actorId: SELLER, accept: "yes" }],
      ["dispute", { actorId: BUYER }],
      ["cancellation", { actorId: BUYER, extra: true }],
      ["resolution", { outcome: "keep", note: "x" }],
      ["resolution", { outcome: "split", refundAmount: -1, note: "x" }],
    ];
    for (const [action, body] of cases)
      expectProblem(await api.act(escrow.id, action, body), 400, "validation_error");
    expect((await api.get(escrow.id)).body.version).toBe(escrow.version);
  });

  it("rejects a refund request above the amount, and a split that is not less than the amount", async () => {
    const escrow = await funded(api);
    await api.act(escrow.id, "delivery", { actorId: SELLER });
    expectProblem(
      await api.act(escrow.id, "refund-request", { actorId: BUYER, reason: "x", amount: 13000 }),
      400,
      "validation_error",
    );
    await api.act(escrow.id, "dispute", { actorId: BUYER, reason: "x" });
    expectProblem(
      await api.act(escrow.id, "resolution", { outcome: "split", refundAmount: 12999, note: "x" }),
      400,
      "validation_error",
    );
    expect((await api.get(escrow.id)).body.status).toBe("DISPUTED");
  });

  it("rejects bad list queries", async () => {
    expectProblem(await api.call("GET", "/v1/escrows?limit=0"), 400, "validation_error");
    expectProblem(await api.call("GET", "/v1/escrows?limit=abc"), 400, "validation_error");
    expectProblem(await api.call("GET", "/v1/escrows?status=LOST"), 400, "validation_error");
    expectProblem(await api.call("GET", "/v1/escrows?cursor=not-a-cursor"), 400, "validation_error");
  });
});

describe("idempotency", () => {
  it("replays the first 201 for the same key and body, even after the escrow moved on", async () => {
    const key = `replay-${crypto.randomUUID()}`;
    const body = order();
    const first = await api.create(body, key);
    expect(first.status).toBe(201);
    await api.waitFor(first.body.id, "FUNDED");
    const again = await api.create({ ...body }, key);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
  });

  it("answers 422 for the same key with a different body, and changes nothing", async () => {
    const key = `reuse-${crypto.randomUUID()}`;
    const first = await api.create(order(), key);
    const reused = await api.create(order({ amount: 5000 }), key);
    expectProblem(reused, 422, "idempotency_key_reused");
    expect((await api.get(first.body.id)).body.amount).toBe(12999);
  });

  it("scopes keys to the tenant", async () => {
    const key = `tenant-${crypto.randomUUID()}`;
    const a = await api.create(order(), key, "marketplace");
    const b = await api.create(order(), key, "other");
    expect(b.status).toBe(201);
    expect(b.body.id).not.toBe(a.body.id);
  });

  it("lets exactly one of concurrent same-key creates through", async () => {
    const key = `concurrent-${crypto.randomUUID()}`;
    const buyerId = `u-conc-${crypto.randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 8 }, () => api.create(order({ buyerId }), key)));
    const statuses = results.map((r) => r.status);
    expect(
      statuses.every((s) => s === 201 || s === 409),
      statuses.join(),
    ).toBe(true);
    const ids = new Set(results.filter((r) => r.status === 201).map((r) => r.body.id));
    expect(ids.size).toBe(1);
    for (const r of results.filter((r) => r.status === 409))
      expect(r.body.code).toBe("idempotency_in_progress");
    const list = await api.call("GET", `/v1/escrows?buyerId=${buyerId}`);
    expect(list.body.items).toHaveLength(1);
  });

  it("lists a seller's escrows (the BySeller index), and only theirs", async () => {
    const sellerId = `u-seller-${crypto.randomUUID()}`;
    const created = await api.create(order({ sellerId }), `seller-${crypto.randomUUID()}`);
    expect(created.status).toBe(201);
    const list = await api.call("GET", `/v1/escrows?sellerId=${sellerId}`);
    expect(list.status).toBe(200);
    expect(list.body.items.map((e: { id: string }) => e.id)).toEqual([created.body.id]);
  });

  it("replays an action and refuses the key on another action", async () => {
    const escrow = await funded(api);
    const key = `act-${crypto.randomUUID()}`;
    const first = await api.act(escrow.id, "delivery", { actorId: SELLER, carrier: "SF" }, { key });
    expect(first.status).toBe(202);
    const again = await api.act(escrow.id, "delivery", { actorId: SELLER, carrier: "SF" }, { key });
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expectProblem(
      await api.act(escrow.id, "confirmation", { actorId: BUYER }, { key }),
      422,
      "idempotency_key_reused",
    );
  });
});

describe("races", () => {
  it("of conflicting actions from one status, exactly one wins and money moves once", async () => {
    for (let round = 0; round < 3; round++) {
      const escrow = await funded(api);
      await api.act(escrow.id, "delivery", { actorId: SELLER });
      const results = await Promise.all([
        api.act(escrow.id, "confirmation", { actorId: BUYER }),
        api.act(escrow.id, "confirmation", { actorId: BUYER }),
        api.act(escrow.id, "refund-request", { actorId: BUYER, reason: "x" }),
        api.act(escrow.id, "dispute", { actorId: SELLER, reason: "y" }),
        api.act(escrow.id, "dispute", { actorId: BUYER, reason: "z" }),
      ]);
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 202).length, statuses.join()).toBeGreaterThanOrEqual(1);
      for (const r of results) if (r.status !== 202) expectProblem(r, 409, "invalid_transition");
      // the workflow may already have appended the settlement: count only what the actions wrote
      const history = (await api.call("GET", `/v1/escrows/${escrow.id}/events`)).body.items
        .map((e: { type: string }) => e.type)
        .filter((t: string) => !["released", "refunded", "settled"].includes(t));
      // every 202 is one entry after delivery; the winners form a valid sequence (e.g. refund request, then dispute)
      expect(history.length - 3).toBe(statuses.filter((s) => s === 202).length);
      const winner = history[3];
      if (winner === "confirmed") {
        expect(statuses.filter((s) => s === 202)).toHaveLength(1);
        const released = await api.waitFor(escrow.id, "RELEASED");
        expect(
          released.settlement.paidToSeller +
            released.settlement.platformFee +
            released.settlement.refundedToBuyer,
        ).toBe(12999);
      }
    }
  });
});
