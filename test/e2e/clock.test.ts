import { describe, expect, it } from "vitest";
import { escrowIdFor } from "../../functions/domain/ids";
import { UNCONFIRMED_CREATION_SECONDS } from "../../functions/domain/reconciliation";
import { order } from "../support/orders";
import { BUYER, SELLER } from "./client";
import { expectProblem, funded } from "./expect";
import { useLocalService } from "./server";

/**
 * `/_local/clock` (API.md v1.2, "A clock that local users move"), on the
 * running local service: what it answers, what it refuses, and that
 * everything about escrows follows it while tokens keep real time.
 */
const api = useLocalService();
const DAY = 86_400;
const FIVE_YEARS = 5 * 36_525 * 864;

describe("/_local/clock", () => {
  it("GET answers { now, offsetSeconds }; the service's answers are dated by it", async () => {
    const res = await api.call("GET", "/_local/clock", { token: null });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(["now", "offsetSeconds"]);
    expect(res.body.now).toBe(new Date(Date.parse(res.body.now)).toISOString());
    expect(Number.isInteger(res.body.offsetSeconds)).toBe(true);
    const dated = Date.parse(res.headers.get("date") as string);
    expect(Math.abs(dated - Date.parse(res.body.now))).toBeLessThan(2000);
  });

  it("refuses anything but a whole number of seconds from 1 to 5 years, and does not move", async () => {
    const before = (await api.call("GET", "/_local/clock", { token: null })).body.offsetSeconds;
    const bad: [string, string | Record<string, unknown>, string][] = [
      ["zero", { advanceSeconds: 0 }, "advanceSeconds"],
      ["negative", { advanceSeconds: -60 }, "advanceSeconds"],
      ["a fraction", { advanceSeconds: 1.5 }, "advanceSeconds"],
      ["a string", { advanceSeconds: "3600" }, "advanceSeconds"],
      ["null", { advanceSeconds: null }, "advanceSeconds"],
      ["over five years", { advanceSeconds: FIVE_YEARS + 1 }, "advanceSeconds"],
      ["missing", {}, "advanceSeconds"],
      ["an unknown field", { advanceSeconds: 60, back: true }, "(body)"],
      ["not an object", "[60]", "(body)"],
      ["not JSON", "{advanceSeconds: 60", "(body)"],
    ];
    for (const [what, body, path] of bad) {
      const res = await api.call("POST", "/_local/clock", {
        token: null,
        ...(typeof body === "string"
          ? { raw: body, headers: { "Content-Type": "application/json" } }
          : { body }),
      });
      expectProblem(res, 400, "validation_error");
      expect(
        res.body.errors.map((e: { path: string }) => e.path),
        what,
      ).toContain(path);
    }
    expect((await api.call("GET", "/_local/clock", { token: null })).body.offsetSeconds).toBe(before);
    expect((await api.call("PUT", "/_local/clock", { token: null, body: {} })).status).toBe(405);
  });

  it("moves forward by exactly what is asked, up to five years at once; escrows' times follow, tokens do not", async () => {
    const escrow = await funded(api);
    const before = (await api.call("GET", "/_local/clock", { token: null })).body;
    const moved = await api.advanceClock(FIVE_YEARS);
    expect(moved.offsetSeconds).toBe(before.offsetSeconds + FIVE_YEARS);
    expect(Date.parse(moved.now) - Date.parse(before.now)).toBeGreaterThanOrEqual(FIVE_YEARS * 1000);
    // The token fetched before the move still works: tokens keep real time.
    const late = await api.act(escrow.id, "delivery", { actorId: SELLER });
    expect(late.status).toBe(409); // the 7-day delivery window ended long ago: refunded
    const refunded = await api.waitFor(escrow.id, "REFUNDED");
    // The window ended at its deadline, not at the end of the move.
    expect(refunded.settlement.settledAt >= escrow.deadline).toBe(true);
    expect(Date.parse(refunded.settlement.settledAt) - Date.parse(escrow.deadline)).toBeLessThan(DAY * 1000);
    const fresh = await api.create({
      buyerId: BUYER,
      sellerId: SELLER,
      amount: 100,
      currency: "CNY",
      paymentMethod: "pm_sandbox_ok",
    });
    expect(fresh.status).toBe(201);
    expect(Date.parse(fresh.body.createdAt)).toBeGreaterThanOrEqual(Date.parse(moved.now));
    const events = await api.waitForEvents(fresh.body.id, ["escrow.funded"]);
    expect(Date.parse(events[0]?.event.occurredAt)).toBeGreaterThanOrEqual(Date.parse(moved.now));
  });
});

describe("a creation the store would not confirm, never retried", () => {
  it("answers 503, is never readable, and is removed once the idempotency window is over: nothing held", async () => {
    // The store answers every UpdateItem with an error (the confirmation never lands, and says so).
    const fault = await api.injectFault({
      target: "dynamodb",
      operation: "UpdateItem",
      mode: "error",
      seconds: 60,
    });
    const key = `unconfirmed-${crypto.randomUUID()}`;
    const refused = await api.create(order({ description: "never confirmed" }), key);
    await api.call("DELETE", `/_local/faults/${fault.id}`, { token: null });
    expectProblem(refused, 503, "unavailable");
    const id = escrowIdFor("demo", key);
    expectProblem(await api.call("GET", `/v1/escrows/${id}`), 404, "not_found");
    // A day and the grace later the reconciler lets it go (the clock's move runs it): nothing was held,
    // nothing announced, and the key, used again, makes a new escrow of that day (not the old item).
    await api.advanceClock(UNCONFIRMED_CREATION_SECONDS + 60);
    await api.reconcile();
    expectProblem(await api.call("GET", `/v1/escrows/${id}`), 404, "not_found");
    expect(await api.payments(id)).toEqual([]);
    expect(await api.notifications(id)).toEqual([]);
    const now = await api.now();
    const again = await api.create(order({ description: "never confirmed" }), key);
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(Date.parse(again.body.createdAt)).toBeGreaterThan(now - 60_000);
  });
});
