import type { PathFigures } from "./path-cost";
import type { PathName } from "./paths";
import { PRICES } from "./prices";
import { INIT_RUNS } from "./settings";
import type { Check } from "./util";

/** The bench's printout: the per-path table, speed, the reconciler, the capacity model, the campaign, the targets. */
export function print(
  results: any,
  checks: readonly Check[],
  paths: Record<PathName, PathFigures> | undefined,
) {
  const sections: string[] = [
    `\nEscrow benchmark — ${results.measuredAt ?? "(fault campaign only)"} (prices ${PRICES.asOf}, ${PRICES.region}, arm64)`,
  ];
  if (paths) {
    const rows = (Object.keys(paths) as PathName[]).map((k) => {
      const p = paths[k];
      return `${k.padEnd(12)} ${String(p.transitions).padStart(5)} ${String(p.executions.length).padStart(4)} ${String(p.lambdaInvocations).padStart(5)} ${String(p.apiRequests).padStart(4)} ${String(p.dynamoWriteUnits + p.dynamoIndexWriteUnits).padStart(5)} ${String(p.dynamoReadUnits).padStart(5)} ${String(p.snsPublishes).padStart(4)} ${String(p.reconcilerTouches).padStart(5)}   $${p.costUSD.toFixed(7)}`;
    });
    const lat = Object.entries(
      results.local.latencyMs as Record<string, { p50: number; p95: number; p99: number; count: number }>,
    )
      .map(
        ([k, v]) =>
          `  ${k.padEnd(13)} p50 ${String(v.p50).padStart(6)}  p95 ${String(v.p95).padStart(6)}  p99 ${String(v.p99).padStart(6)}  (n=${v.count})`,
      )
      .join("\n");
    const r = results.reconciler;
    sections.push(`
path         trans exec    λ    API   WRU   RRU  SNS  rec.   AWS cost / escrow (reconciler included)
${rows.join("\n")}

reconciler: ${
      r
        ? `one run at rest ${r.lambdaBilledMs} ms at ${r.lambdaMemoryMb} MB, ${r.dynamoReadUnits} RRU, ${r.dynamoWriteUnits} WRU ($${r.costPerRunUSD}) × ${r.runsPerDay} runs/day ÷ ${r.escrowsPerDay} escrows/day = $${r.amortizedPerEscrowUSD} per escrow; healthy paths leave it ${r.touchesOnHealthyPaths} escrow(s) to look at`
        : "not measured (POST /_local/reconcile failed: the stack has no Reconciler function?)"
    }

bundles: ${Object.values(results.bundleKB as Record<string, number>).length}, largest ${Math.max(...(Object.values(results.bundleKB) as number[]))} KB
cold init: largest bundle ${results.initHeaviest} ${results.initHeaviestMs} ms vs SDK-only baseline ${results.initBaselineMs} ms (medians of ${INIT_RUNS * 3}, alternating) → ratio ${results.initRatio}; slowest median of any bundle ${results.initSlowestMs} ms

local, ${results.local.clients} clients × ${results.local.seconds} s: ${results.local.lifecyclesPerSecond} lifecycles/s (${results.local.completed} done, ${results.local.failed} failed)
${lat}
one client alone:   ${Object.entries(
      results.local.latencyMsOneClient as Record<string, { p50: number; p99: number }>,
    )
      .map(([k, v]) => `${k} p50 ${v.p50} p99 ${v.p99}`)
      .join(" · ")}
raw conditional puts: ${results.local.putCeilingPerSecond}/s → ceilingRatio ${results.local.ceilingRatio} (reported, not a target)`);
  }
  const t = results.reconcilerThroughput;
  if (t)
    sections.push(`
reconciler on DynamoDB Local: ${t.backlog} due marks, ${t.shards} shards × ${t.concurrencyPerShard} at once, pages of ${t.pageSize}; Step Functions and SNS answering after ${JSON.stringify(t.awsLatencyMs)} ms
  runs: ${t.runs.map((r: any) => `${r.visitsPerSecond}/s (${r.cpuMsPerVisit} ms CPU, ${r.describesPerVisit} DescribeExecution per visit)`).join(" · ")}
  median ${t.visitsPerSecond} visits/s; CPU-bound at ${t.lambda.memoryMb} MB: ${t.cpuBoundVisitsPerSecond}/s → ${t.lambda.budgetSeconds} s of work per ${t.lambda.timeoutSeconds} s run, every ${t.lambda.periodSeconds} s → ${t.dailyCapacity.toLocaleString("en")} visits/day per cell
  backlog drill (budget ${t.backlogDrill.budgetMs} ms, pages of ${t.backlogDrill.pageSize}): ${t.backlogDrill.runs} runs; reminders ${t.backlogDrill.remindersPublished}/${t.backlogDrill.remindersDue} (${t.backlogDrill.remindersTwice} twice), owed events ${t.backlogDrill.owedPublished}/${t.backlogDrill.owedDue}; the last went out ${t.backlogDrill.maxDelaySeconds} s late (${t.backlogDrill.maxDelayRuns} periods); a run went ${t.backlogDrill.maxOverrunMs} ms past its budget at most`);
  const cap = results.capacity;
  if (cap) {
    const designs = cap.designs
      .map(
        (d: any) =>
          `  park after ${String(d.parkAfterDays).padStart(2)} d: ${d.openExecutionsPerEscrowDays} execution-days, ${d.parksPerEscrow} parks, ${d.transitionsPerEscrow} transitions, $${d.costPerEscrowUSD}/escrow (happy at the mix's waits $${d.happyCostAtMixWaitsUSD}) → cells ${JSON.stringify(d.cells)}, ~$${d.monthlyUSD.toLocaleString("en")}/month`,
      )
      .join("\n");
    const quotas = Object.entries(cap.byRegionClass as Record<string, { cells: number; quotas: any[] }>)
      .map(
        ([region, r]) =>
          `  ${region}, ${r.cells} cells:\n${r.quotas.map((q) => `    ${q.quota.padEnd(52)} ${String(q.usePerCell).padStart(10)} of ${String(q.limit).padStart(10)}  ${(q.share * 100).toFixed(1)} %`).join("\n")}`,
      )
      .join("\n");
    sections.push(`
capacity: ${cap.escrowsPerDay.toLocaleString("en")} new escrows/day, ${cap.peakFactor}× peak hour, the stated mix (capacity.ts); a cell's fixed cost ~$${cap.cellFixedUSDPerMonth}/month
${designs}
chosen: park after ${cap.chosen.parkAfterDays} days, ${cap.chosen.cells} cells in ${cap.chosen.region}; open executions at rest ${cap.openExecutionsAtRest.toLocaleString("en")} (${cap.openExecutionsPerEscrowDays} days per escrow); binding quota: ${cap.bindingQuota}
${quotas}`);
  }
  const f = results.faults;
  const c = results.faultCampaign;
  if (f && c) {
    const problems: string[] = c.problems ?? [];
    sections.push(`
fault campaign (seed ${f.seed}; replay with BENCH_SEED=${f.seed}): ${f.escrows} escrows, ${c.faultsInjected} faults over ${c.faultSeconds} s (one Lambda outage of ${c.longLambdaSeconds} s), reconciler every ${c.reconcileSeconds} s
  long outages: ${(c.longOutages ?? []).map((o: any) => `${o.faults.join(" + ")} for ${o.equivalentSeconds} s of the service's clock (${o.realSeconds} s real)`).join("; ")}
  ops alerts: dependency_failing ${c.dependencyAlerts?.failing}, dependency_recovered ${c.dependencyAlerts?.recovered}; left for ops ${c.leftForOps}
  executions per escrow: median ${c.executions?.perEscrowMedian}, max ${c.executions?.perEscrowMax} (${JSON.stringify(c.executions?.histogram)}); most RUNNING for one escrow at once ${c.executions?.maxRunningAtOnce} (${c.executions?.samples} samples)
  paths ${JSON.stringify(c.paths)} → ${JSON.stringify(c.outcomes)}
  stranded ${f.stranded} · doubleMoves ${f.doubleMoves} · lostEvents ${f.lostEvents} · maxRecoverySeconds ${f.maxRecoverySeconds} (events: ${c.maxEventRecoverySeconds} s)
  API answers ${JSON.stringify(c.answers)}; 500s ${c.answers500}; 503s that had changed something ${c.landedDespite503}; unexplained 409/422 ${c.unexplained}; conflicts after a retry ${c.conflictsAfterRetry.length}; repeated deliveries ${c.duplicateDeliveries} (at most ${c.maxDeliveriesOfOneEvent} of one event)${problems.length ? `\n  problems:\n${problems.map((p) => `    ${p}`).join("\n")}` : ""}`);
  }
  sections.push(`
targets:
${checks.map(([name, value, target, pass]) => `  ${pass ? "PASS" : "FAIL"}  ${name}: ${value} (${target})`).join("\n")}

(${results.benchSeconds} s; figures in .bench/results.json)
`);
  console.log(sections.join("\n"));
}
