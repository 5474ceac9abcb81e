import { spawn } from "node:child_process";
import { appendFile, readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Movement } from "../../functions/adapters/local-hooks";
import { createPaymentsListener, LocalPaymentLedger } from "../../infra/local/payments/index";
import { closeServer, listen, removeDir, tempDir, waitFor } from "./helpers";

/** The sandbox provider's ledger (API.md, "Local mode additions"): idempotent per key, durable, listed by escrow. */

/** The ledger's clock, passed in: a whole second of today (no literal date). */
const T0 = Math.floor(Date.now() / 1000) * 1000;
let dir: string;
const ledgers: LocalPaymentLedger[] = [];
beforeEach(async () => {
  dir = await tempDir("payments");
});
afterEach(async () => {
  await Promise.all(ledgers.splice(0).map((l) => l.close()));
  await removeDir(dir);
});

function ledger(now?: () => number): LocalPaymentLedger {
  const l = new LocalPaymentLedger({ dataDir: dir, onError: () => {}, ...(now ? { now } : {}) });
  ledgers.push(l);
  return l;
}

const movement = (over: Partial<Movement> = {}): Movement => ({
  tenantId: "demo",
  escrowId: "esc_1",
  type: "hold",
  amount: 12999,
  currency: "CNY",
  key: "esc_1:hold:1",
  ...over,
});

describe("LocalPaymentLedger", () => {
  it("records a movement once per key: a repeat returns the first record with recorded: false", async () => {
    let t = T0;
    const l = ledger(() => t);
    const first = await l.record(movement());
    expect(first).toEqual({
      id: expect.stringMatching(/^pay_[0-9A-HJKMNP-TV-Z]{26}$/),
      at: new Date(T0).toISOString(),
      recorded: true,
    });
    t += 5000;
    const repeat = await l.record(movement());
    expect(repeat).toEqual({ ...first, recorded: false });
    // Even a repeat with other terms: the first stands (the key decides).
    expect(await l.record(movement({ amount: 1 }))).toEqual({ ...first, recorded: false });
    // Concurrent repeats of a new key: recorded once.
    const racing = await Promise.all(
      Array.from({ length: 10 }, () =>
        l.record(movement({ type: "payout", amount: 12609, key: "esc_1:payout:1" })),
      ),
    );
    expect(racing.filter((r) => r.recorded)).toHaveLength(1);
    expect(new Set(racing.map((r) => r.id)).size).toBe(1);
    const { items } = await l.list();
    expect(items.map((i) => i.key)).toEqual(["esc_1:hold:1", "esc_1:payout:1"]);
    expect(items[0]).toEqual({
      id: first.id,
      escrowId: "esc_1",
      type: "hold",
      amount: 12999,
      key: "esc_1:hold:1",
      at: new Date(T0).toISOString(),
    });
  });

  it("lists one escrow's movements or all, oldest first", async () => {
    const l = ledger();
    await l.record(movement({ escrowId: "esc_A", key: "a1" }));
    await l.record(movement({ escrowId: "esc_B", key: "b1" }));
    await l.record(movement({ escrowId: "esc_A", type: "payout", amount: 12609, key: "a2" }));
    await l.record(movement({ escrowId: "esc_A", type: "fee", amount: 390, key: "a3" }));
    expect((await l.list({ escrowId: "esc_A" })).items.map((i) => [i.type, i.amount])).toEqual([
      ["hold", 12999],
      ["payout", 12609],
      ["fee", 390],
    ]);
    expect((await l.list({ escrowId: "esc_C" })).items).toEqual([]);
    expect((await l.list()).items.map((i) => i.key)).toEqual(["a1", "b1", "a2", "a3"]);
  });

  it("knows what a hold still holds: its amount until a void of the escrow lets it go", async () => {
    const l = ledger();
    await l.record(movement({ key: "h1" }));
    expect(await l.heldAmount("h1")).toBe(12999);
    expect(await l.heldAmount("never")).toBeUndefined();
    await l.record(movement({ type: "void", key: "v1" }));
    expect(await l.heldAmount("h1")).toBe(0);
  });

  it("survives a restart (a torn last line is dropped) and keeps its keys", async () => {
    const first = ledger();
    const a = await first.record(movement({ key: "k1" }));
    await first.record(movement({ type: "refund", amount: 12999, key: "k2" }));
    await first.close();
    await appendFile(join(dir, "payments", "ledger.ndjson"), '{"id":"pay_torn');

    const second = ledger();
    expect((await second.list()).items.map((i) => i.key)).toEqual(["k1", "k2"]);
    expect(await second.record(movement({ key: "k1" }))).toEqual({ id: a.id, at: a.at, recorded: false });
    await second.record(movement({ key: "k3" }));
    const lines = (await readFile(join(dir, "payments", "ledger.ndjson"), "utf8")).trim().split("\n");
    expect(lines.map((line) => JSON.parse(line).key)).toEqual(["k1", "k2", "k3"]);
  });

  it("loses no acknowledged movement when its process is killed (SIGKILL)", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", new URL("./fixtures/ledger-child.ts", import.meta.url).pathname, dir],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const acked: string[] = [];
    createInterface({ input: child.stdout }).on("line", (line) => acked.push(JSON.parse(line).acked));
    await waitFor(() => acked.length >= 20, { timeoutMs: 20_000, what: "20 acknowledged movements" });
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
    const keys = new Set((await ledger().list({ escrowId: "esc_K" })).items.map((i) => i.key));
    for (const key of acked) expect(keys.has(key), key).toBe(true);
  });
});

describe("GET /_local/payments", () => {
  it("answers { items } for one escrow or all, and leaves other paths to the next handler", async () => {
    const l = ledger(() => T0);
    await l.record(movement({ escrowId: "esc_A", key: "a1" }));
    await l.record(movement({ escrowId: "esc_B", key: "b1" }));
    const listener = createPaymentsListener(l);
    const server = createServer((req, res) => {
      void listener(req, res).then((handled) => {
        if (!handled) res.writeHead(418).end();
      });
    });
    const base = await listen(server);
    try {
      const one = await fetch(`${base}/_local/payments?escrowId=esc_A`);
      expect(one.status).toBe(200);
      expect(one.headers.get("content-type")).toBe("application/json");
      const body = (await one.json()) as { items: Array<Record<string, unknown>> };
      expect(body.items).toHaveLength(1);
      expect(Object.keys(body.items[0] ?? {}).sort()).toEqual([
        "amount",
        "at",
        "escrowId",
        "id",
        "key",
        "type",
      ]);
      expect(
        ((await (await fetch(`${base}/_local/payments`)).json()) as { items: unknown[] }).items,
      ).toHaveLength(2);
      expect((await fetch(`${base}/_local/payments`, { method: "POST" })).status).toBe(405);
      expect((await fetch(`${base}/_local/other`)).status).toBe(418);
    } finally {
      await closeServer(server);
    }
  });
});
