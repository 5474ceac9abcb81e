/**
 * `npm run bench`: what an escrow costs on AWS, how many escrows a cell
 * carries (the capacity model, issue #21), how fast the reconciler works
 * through due marks (DynamoDB Local, issue #16), how fast the service runs
 * locally, and the fault campaign. A benchmark, not a test: figures are
 * medians and ratios measured side by side in one run on a shared, noisy
 * machine. Prints a table with pass/fail against the targets in force
 * (settings.ts) and writes the same figures to .bench/results.json.
 * Settings: see settings.ts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Api } from "../e2e/client";
import { capacityModel } from "./capacity";
import { faultPhase } from "./fault-phase";
import { load } from "./load";
import { measureService } from "./measure-service";
import type { PathFigures } from "./path-cost";
import type { PathName } from "./paths";
import { measureReconcilerThroughput } from "./reconciler-throughput";
import { print } from "./report";
import {
  CAMPAIGN,
  CLIENTS,
  FAULTS_ONLY,
  LOAD_ONLY,
  LOAD_SECONDS,
  SKIP_FAULTS,
  SKIP_RECONCILER,
} from "./settings";
import { type Check, log, OUT } from "./util";

async function main() {
  if (LOAD_ONLY) {
    const api = new Api(process.env.BENCH_URL ?? "http://127.0.0.1:3000");
    console.log(JSON.stringify(await load(api, LOAD_SECONDS, CLIENTS), null, 1));
    return;
  }
  const t0 = Date.now();
  mkdirSync(OUT, { recursive: true });
  const resultsFile = join(OUT, "results.json");
  if (!SKIP_FAULTS) log(`fault campaign seed ${CAMPAIGN.seed} (replay it with BENCH_SEED=${CAMPAIGN.seed})`);

  let results: Record<string, any>;
  let checks: Check[];
  let paths: Record<PathName, PathFigures> | undefined;
  if (FAULTS_ONLY) {
    // Only the campaign: the other figures stay as the last full run left them.
    const previous = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, "utf8")) : {};
    const { targets = [], ...rest } = previous;
    results = rest;
    checks = (targets as { name: string; value: number; target: string; pass: boolean }[]).map(
      (t) => [t.name, t.value, t.target, t.pass] as const,
    );
  } else {
    ({ results, checks, paths } = await measureService());
    if (!SKIP_RECONCILER) {
      const throughput = await measureReconcilerThroughput();
      results.reconcilerThroughput = throughput.figures;
      checks.push(...throughput.checks);
    }
    const capacity = capacityModel(paths, results.reconcilerThroughput ?? null);
    results.capacity = capacity.figures;
    checks.push(...capacity.checks);
  }

  if (!SKIP_FAULTS) {
    const campaign = await faultPhase();
    Object.assign(results, campaign.figures);
    checks = [...checks.filter(([name]) => !name.startsWith("faults.")), ...campaign.checks];
  }
  results.benchSeconds = Math.round((Date.now() - t0) / 1000);
  writeFileSync(
    resultsFile,
    `${JSON.stringify({ ...results, targets: checks.map(([name, value, target, pass]) => ({ name, value, target, pass })) }, null, 2)}\n`,
  );
  print(results, checks, paths);
}

await main();
