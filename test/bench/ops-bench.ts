/**
 * `npm run bench:ops`: the ops console's figures (issue 19, "Measured").
 *
 * - With 10,000 open disputes in the local store, the queue's first page
 *   (`GET /v1/ops/escrows`) and an escrow page (the three reads the console
 *   makes for it at once: the ops view with its execution, the history, the
 *   evidence) each answer in ≤ 1 s at p95, 16 requests at once.
 * - The page's own script and styles are ≤ 100 KB gzipped.
 *
 * The disputes are written straight into the local store (the service
 * stopped), through the same store adapter the service uses, so that the
 * queue index holds them as it would; a few more are made through the API so
 * that their escrow pages have executions, evidence and notes.
 * `BENCH_OPS_DISPUTES` changes the count. Writes `.bench/ops.json`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoEscrowStore } from "../../functions/adapters/dynamo-escrow-store";
import { apply, decideAction, type Entry, fold, fund } from "../../functions/domain/escrow";
import { withDefaults } from "../../functions/domain/kinds/registry";
import type { EscrowTerms } from "../../functions/domain/types";
import { DAY } from "../../functions/domain/windows";
import { buildConsole } from "../../infra/console-build";
import { startLocalDynamo } from "../../infra/local/dynamo/backends";
import { Api } from "../e2e/client";
import { startServer } from "../e2e/server";
import { BICYCLE, BUYER, order } from "../support/orders";
import { signInAs } from "../support/people";

const DISPUTES = Number(process.env.BENCH_OPS_DISPUTES ?? 10_000);
const CONCURRENCY = 16;
const REQUESTS = 400;
const TARGETS = { p95Ms: 1000, consoleGzipBytes: 100 * 1024 };
const ROOT = new URL("../../", import.meta.url).pathname;

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};
const round = (n: number) => Math.round(n * 10) / 10;

/** `count` runs of `run`, `concurrency` at a time; each run's duration in ms. */
async function load(
  count: number,
  concurrency: number,
  run: (i: number) => Promise<void>,
): Promise<number[]> {
  const times: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t = performance.now();
        await run(i);
        times.push(performance.now() - t);
      }
    }),
  );
  return times;
}
const stats = (xs: number[]) => ({
  p50: round(percentile(xs, 50)),
  p95: round(percentile(xs, 95)),
  p99: round(percentile(xs, 99)),
  max: round(Math.max(...xs)),
  count: xs.length,
});

/** One disputed goods escrow of tenant `demo`, as the service would have recorded it. */
function disputedRecord(i: number, now: Date) {
  const id = `esc_${String(i)
    .padStart(26, "0")
    .replace(/[ILOU]/g, "0")}`;
  const terms: EscrowTerms = {
    tenantId: "demo",
    id,
    kind: "goods",
    buyerId: `u-b${i}`,
    sellerId: `u-s${i}`,
    ...BICYCLE,
    metadata: {},
    // Deadlines spread over days, so the queue's order is a real one.
    windows: withDefaults("goods", { disputeSeconds: DAY + (i % 5000) * 60 }),
    lease: null,
    deposit: null,
    depositForfeitable: false,
    vehicle: null,
    createdAt: now.toISOString(),
  };
  const created: Entry = { type: "created", actor: "marketplace", data: {}, v: 1, at: terms.createdAt };
  let state = fold(terms, [created]);
  const funded = apply(state, fund(state, `auth_${i}`), now);
  state = funded.state;
  const disputed = apply(
    state,
    decideAction(state, { action: "dispute", actorId: terms.buyerId, reason: "broken" }, now),
    now,
  );
  return { terms, history: [created, funded.entry], disputed, before: state };
}

async function seed(dataDir: string): Promise<number> {
  // Where the service keeps it (infra/local/main.ts: the store process under <data>/dynalite).
  const local = await startLocalDynamo({ backend: "dynalite", dataDir: join(dataDir, "dynalite") });
  const store = new DynamoEscrowStore(local.client("us-east-1"), "escrow-local");
  const now = new Date();
  const started = performance.now();
  await load(DISPUTES, CONCURRENCY, async (i) => {
    const r = disputedRecord(i, now);
    const record = { terms: r.terms, history: r.history };
    await store.create(record, fold(r.terms, r.history));
    await store.append(record, r.disputed.entry, r.before, r.disputed.state);
  });
  await local.close();
  return (performance.now() - started) / 1000;
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), "escrow-bench-ops-"));
  // 1. The service makes its table, then stops; the disputes go straight into its store.
  let server = await startServer({ dataDir });
  await server.stop();
  console.log(`seeding ${DISPUTES} open disputes into the local store…`);
  const seedSeconds = await seed(dataDir);
  console.log(`  ${round(seedSeconds)} s`);
  server = await startServer({ dataDir });
  try {
    const api = new Api(server.url);
    const token = await signInAs(server.url, "alice");
    const asAlice = (path: string) =>
      fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${token}` } }).then(async (r) => {
        if (r.status !== 200) throw new Error(`${path}: ${r.status} ${await r.text()}`);
        return r.json() as Promise<any>;
      });

    // A few escrows with executions, evidence and notes: the pages ops open.
    const pages: string[] = [];
    for (let i = 0; i < 8; i++) {
      const created = await api.create(order({ windows: { disputeSeconds: 3600 } }));
      await api.waitFor(created.body.id, "FUNDED");
      await api.act(created.body.id, "dispute", { actorId: BUYER, reason: "not as described" });
      await api.waitFor(created.body.id, "DISPUTED");
      await api.call("POST", `/v1/escrows/${created.body.id}/evidence`, {
        body: { actorId: BUYER, text: "photo" },
      });
      await api.call("POST", `/v1/ops/escrows/${created.body.id}/notes`, {
        token,
        body: { text: "called the seller" },
      });
      pages.push(created.body.id);
    }
    const first = await asAlice("/v1/ops/escrows");
    if (first.items.length !== 20 || first.nextCursor === null)
      throw new Error("the queue's first page is not full");

    // Warm up, then measure.
    await load(32, CONCURRENCY, async () => void (await asAlice("/v1/ops/escrows")));
    const queue = await load(REQUESTS, CONCURRENCY, async () => void (await asAlice("/v1/ops/escrows")));
    const escrowPage = await load(REQUESTS, CONCURRENCY, async (i) => {
      const id = pages[i % pages.length];
      await Promise.all([
        asAlice(`/v1/ops/escrows/${id}`),
        asAlice(`/v1/escrows/${id}/events`),
        asAlice(`/v1/escrows/${id}/evidence`),
      ]);
    });
    const built = await buildConsole(join(dataDir, "console-size"));

    const figures = {
      at: new Date().toISOString(),
      disputes: DISPUTES,
      concurrency: CONCURRENCY,
      seedSeconds: round(seedSeconds),
      queueFirstPageMs: stats(queue),
      escrowPageMs: stats(escrowPage),
      consoleGzipBytes: built.gzipBytes,
    };
    const rows: [string, string, string, boolean][] = [
      [
        "queue's first page p95",
        `${figures.queueFirstPageMs.p95} ms`,
        `≤ ${TARGETS.p95Ms} ms`,
        figures.queueFirstPageMs.p95 <= TARGETS.p95Ms,
      ],
      [
        "escrow page p95 (3 reads at once)",
        `${figures.escrowPageMs.p95} ms`,
        `≤ ${TARGETS.p95Ms} ms`,
        figures.escrowPageMs.p95 <= TARGETS.p95Ms,
      ],
      [
        "console script + styles, gzipped",
        `${(built.gzipBytes / 1024).toFixed(1)} KB`,
        "≤ 100 KB",
        built.gzipBytes <= TARGETS.consoleGzipBytes,
      ],
    ];
    console.log(
      `\nops console, ${DISPUTES} open disputes, ${CONCURRENCY} requests at once (${REQUESTS} each):`,
    );
    console.log(`  queue first page  ${JSON.stringify(figures.queueFirstPageMs)}`);
    console.log(`  escrow page       ${JSON.stringify(figures.escrowPageMs)}`);
    for (const [what, measured, target, ok] of rows)
      console.log(
        `  ${what.padEnd(36)} ${measured.padStart(10)}  ${target.padEnd(10)} ${ok ? "pass" : "MISS"}`,
      );
    mkdirSync(join(ROOT, ".bench"), { recursive: true });
    writeFileSync(join(ROOT, ".bench", "ops.json"), `${JSON.stringify(figures, null, 2)}\n`);
    process.exitCode = rows.every(([, , , ok]) => ok) ? 0 : 1;
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
