import { afterAll, describe, expect, it } from "vitest";
import { Api, BUYER, order, SELLER } from "./client";
import { type LocalServer, startServer } from "./server";

/**
 * Stopping the local service — gracefully or by a crash — and starting it
 * again loses nothing: escrows, pending waits, running timers and open
 * disputes carry on, and actions on them work.
 */
const servers: LocalServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop("SIGKILL");
});

async function start(dataDir?: string) {
  const s = await startServer(dataDir ? { dataDir } : {});
  servers.push(s);
  return { server: s, api: new Api(s.url) };
}

describe.each(["SIGKILL", "SIGTERM"] as const)("after %s and a new start", (signal) => {
  it("waits, timers, disputes and idempotency keys carry on", { timeout: 120_000 }, async () => {
    const first = await start();
    const a = (await first.api.create(order())).body;
    const b = (await first.api.create(order())).body;
    const c = (await first.api.create(order())).body;
    const d = (await first.api.create(order({ windows: { deliverySeconds: 3 } }))).body;
    const key = `restart-${crypto.randomUUID()}`;
    const keyed = await first.api.create(order(), key);
    for (const e of [a, b, c, d]) await first.api.waitFor(e.id, "FUNDED");
    await first.api.act(b.id, "delivery", { actorId: SELLER });
    await first.api.act(c.id, "dispute", { actorId: BUYER, reason: "never arrived" });
    const notesBefore = await first.api.waitForEvents(a.id, [""]);
    expect(notesBefore.map((n) => n.event.type)).toEqual(["escrow.funded"]);
    // A day of b's ten-day inspection window passes on the service's clock.
    const { offsetSeconds } = await first.api.advanceClock(86_400);
    const bDeadline = (await first.api.get(b.id)).body.deadline as string;

    await first.server.stop(signal);
    // Real seconds, because the clock cannot be moved while the service is down: d's 3-second delivery
    // window ends meanwhile.
    await new Promise((r) => setTimeout(r, 3500));
    const second = await start(first.server.dataDir);
    const api = second.api;

    // the service's clock kept its offset
    expect((await api.call("GET", "/_local/clock", { token: null })).body.offsetSeconds).toBe(offsetSeconds);

    // a: waiting for delivery — the wait (and its task token) survived
    expect((await api.get(a.id)).body.status).toBe("FUNDED");
    expect((await api.act(a.id, "delivery", { actorId: SELLER })).status).toBe(202);
    expect((await api.act(a.id, "confirmation", { actorId: BUYER })).status).toBe(202);
    await api.waitFor(a.id, "RELEASED");
    // the status is written before the notification is published: wait for the events themselves
    expect((await api.waitForEvents(a.id, ["", "", ""])).map((n) => n.event.type)).toEqual([
      "escrow.funded",
      "escrow.delivered",
      "escrow.released",
    ]);

    // b: the inspection timer was armed again at its deadline on the service's clock
    await api.advanceClock(Math.ceil((Date.parse(bDeadline) - (await api.now())) / 1000) - 60);
    expect((await api.get(b.id)).body.status).toBe("DELIVERED");
    await api.advanceClock(60);
    const released = await api.waitFor(b.id, "RELEASED");
    expect(released.settlement.paidToSeller).toBe(12609);

    // c: the open dispute is still waiting for ops
    expect((await api.act(c.id, "resolution", { outcome: "refund", note: "refund" })).status).toBe(202);
    await api.waitFor(c.id, "REFUNDED");

    // d: the deadline passed while down; the automatic refund happens after the start
    await api.waitFor(d.id, "REFUNDED", 20_000);

    // the idempotency record survived too
    const replay = await api.create(order(), key);
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(keyed.body);
  });
});
