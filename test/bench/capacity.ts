import { DUE_SHARDS } from "../../functions/adapters/table-schema";
import type { PathFigures } from "./path-cost";
import type { PathName } from "./paths";
import { PRICES } from "./prices";
import type { ThroughputFigures } from "./reconciler-throughput";
import { TARGETS } from "./settings";
import { type Check, round } from "./util";

/**
 * How many escrows a cell carries (issue #21): the bench's own per-path
 * counts, weighted by a stated traffic mix, at 1M new escrows a day with a 5×
 * peak hour, against every quota that binds an escrow service on AWS, per
 * cell, for a number of cells and a Region class. What is measured comes from
 * the run (transitions, executions, SendTaskSuccess, Lambda invocations and
 * their billed time, API requests, DynamoDB units, SNS publishes, the
 * reconciler's visits per second); what is assumed is stated here (the mix,
 * how long people take, which escrows get reminders) and printed with it.
 */
export const ESCROWS_PER_DAY = 1_000_000;
export const PEAK_FACTOR = 5;
/** A cell deployed and idle, a month: WAF web ACL and rules (~$8), 3 KMS keys ($3), ~30 alarms ($3), logs, the reconciler's runs. An estimate. */
const CELL_FIXED_USD_PER_MONTH = 25;

/**
 * The traffic mix: each measured path's share of new escrows, the days its
 * waits typically last (how long people take: assumptions, not measurements),
 * and the waits that run to their reminder (a reconciler visit each).
 */
interface MixEntry {
  share: number;
  waitDays: number[];
  reminders: number;
}
export const MIX: Partial<Record<PathName, MixEntry>> = {
  // goods and services (84 %): shipped in 1.5 days, confirmed within 4
  happy: { share: 0.56, waitDays: [1.5, 4], reminders: 0 },
  autoRelease: { share: 0.17, waitDays: [1.5, 10], reminders: 1 },
  refund: { share: 0.06, waitDays: [1.5, 3, 1], reminders: 0 },
  dispute: { share: 0.03, waitDays: [1.5, 3, 2], reminders: 0 },
  disputeEvidence: { share: 0.01, waitDays: [1.5, 3, 4], reminders: 0 },
  autoRefund: { share: 0.01, waitDays: [7], reminders: 1 },
  // rental deposits (10 %): a lease of a year or two (parked: no execution), then the claim
  rentalReturn: { share: 0.05, waitDays: [540, 3], reminders: 1 },
  rentalClaim: { share: 0.03, waitDays: [540, 3, 2], reminders: 1 },
  rentalPartialDispute: { share: 0.01, waitDays: [540, 3, 2, 14], reminders: 2 },
  rentalOpsSplit: { share: 0.01, waitDays: [540, 3, 2, 3], reminders: 1 },
  // used cars (6 %)
  carRelease: { share: 0.04, waitDays: [2, 2, 1], reminders: 0 },
  carRejected: { share: 0.01, waitDays: [2], reminders: 0 },
  carForfeited: { share: 0.01, waitDays: [3], reminders: 1 },
};
/** Escrows that enter the ops queue (and leave it): disputes. */
const OPS_QUEUE_PATHS: PathName[] = ["dispute", "disputeEvidence", "rentalPartialDispute", "rentalOpsSplit"];

/** Per account and Region (issue #21; Step Functions' API table of the older awsdocs guide for DescribeExecution). */
export const REGION_CLASSES = {
  "us-east-1": {
    startExecution: 300,
    stateTransition: 5000,
    sendTaskSuccess: 500,
    describeExecution: 15,
    snsPublish: 30_000,
  },
  "other Regions": {
    startExecution: 150,
    stateTransition: 800,
    sendTaskSuccess: 300,
    describeExecution: 10,
    snsPublish: 300,
  },
} as const;
export type RegionClass = keyof typeof REGION_CLASSES;
const COMMON = {
  openExecutions: 1_000_000,
  lambdaConcurrency: 1000,
  apiRequests: 10_000,
  partitionWcu: 1000,
};
/** A wait longer than this is parked in the record (functions/domain/workflow-step.ts: PARK_AFTER_SECONDS). */
const PARK_AFTER_DAYS = 30;
/** What parking a wait costs, from the ASL: Parked, then the continuation's HoldFunds and ResumeFromRecord. */
const PARK = { transitions: 3, starts: 1, lambdaInvocations: 1 };

interface Weighted {
  transitions: number;
  starts: number;
  sendTaskSuccess: number;
  snsPublishes: number;
  apiRequests: number;
  lambdaSeconds: number;
  costUSD: number;
  happyCostUSD: number;
  openDays: number;
  parks: number;
  reminderVisits: number;
  dueIndexWcu: number;
  opsQueueShare: number;
}

/** The mix's per-escrow figures when waits longer than `parkAfterDays` park (each park costs PARK). */
function weigh(paths: Record<PathName, PathFigures>, parkAfterDays: number): Weighted {
  const w: Weighted = {
    transitions: 0,
    starts: 0,
    sendTaskSuccess: 0,
    snsPublishes: 0,
    apiRequests: 0,
    lambdaSeconds: 0,
    costUSD: 0,
    happyCostUSD: 0,
    openDays: 0,
    parks: 0,
    reminderVisits: 0,
    dueIndexWcu: 0,
    opsQueueShare: 0,
  };
  const parkCost =
    PARK.transitions * PRICES.stepFunctionsPerTransition + PARK.lambdaInvocations * PRICES.lambdaPerRequest;
  for (const [name, mix] of Object.entries(MIX) as [PathName, MixEntry][]) {
    const p = paths[name];
    // Parks beyond those the measured path already made (a lease: > 30 days).
    const measuredParks = mix.waitDays.filter((d) => d > PARK_AFTER_DAYS).length;
    const parks = mix.waitDays.filter((d) => d > parkAfterDays).length;
    const extra = parks - measuredParks;
    w.transitions += mix.share * (p.transitions + extra * PARK.transitions);
    w.starts += mix.share * (p.executions.length + extra * PARK.starts);
    w.sendTaskSuccess += mix.share * (p.sendTaskSuccess + extra);
    w.snsPublishes += mix.share * (p.snsPublishes + mix.reminders);
    w.apiRequests += mix.share * p.apiRequests;
    w.lambdaSeconds += mix.share * (p.lambdaBilledMs / 1000);
    w.costUSD += mix.share * (p.costUSD + extra * parkCost + mix.reminders * PRICES.snsPerPublish);
    // A wait longer than 30 days parks at once (as today); a shorter one is held until it parks at the horizon.
    w.openDays +=
      mix.share *
      mix.waitDays.reduce((sum, d) => sum + (d > PARK_AFTER_DAYS ? 0 : Math.min(d, parkAfterDays)), 0);
    w.parks += mix.share * parks;
    w.reminderVisits += mix.share * (mix.reminders + parks);
    // Index writes beyond the three list entries of a creation: counted as the due index's (an upper bound).
    w.dueIndexWcu += mix.share * Math.max(0, p.dynamoIndexWriteUnits - 3);
    if (OPS_QUEUE_PATHS.includes(name)) w.opsQueueShare += mix.share;
  }
  const happy = MIX.happy as MixEntry;
  w.happyCostUSD = paths.happy.costUSD + happy.waitDays.filter((d) => d > parkAfterDays).length * parkCost;
  return w;
}

interface QuotaUse {
  quota: string;
  limit: number;
  usePerCell: number;
  share: number;
}

/** Every quota's use in one cell of `cells`, at the peak hour (open executions and daily visits: at rest, a day). */
function quotasPerCell(
  w: Weighted,
  cells: number,
  region: RegionClass,
  throughput: ThroughputFigures | null,
) {
  const q = REGION_CLASSES[region];
  const perSecondPeak = (ESCROWS_PER_DAY / cells / 86_400) * PEAK_FACTOR;
  const perDay = ESCROWS_PER_DAY / cells;
  const use = (quota: string, usePerCell: number, limit: number): QuotaUse => ({
    quota,
    limit,
    usePerCell: round(usePerCell, 1),
    share: round(usePerCell / limit, 3),
  });
  const rows: QuotaUse[] = [
    use("open Standard executions (at rest)", perDay * w.openDays, COMMON.openExecutions),
    use("StartExecution /s", perSecondPeak * w.starts, q.startExecution),
    use("StateTransition /s", perSecondPeak * w.transitions, q.stateTransition),
    use("SendTaskSuccess /s", perSecondPeak * w.sendTaskSuccess, q.sendTaskSuccess),
    // A healthy escrow's visits ask Step Functions nothing (the reconciler trusts the record until it is overdue).
    use(
      "DescribeExecution /s (reconciler, healthy escrows)",
      ((perDay * w.reminderVisits * (throughput?.runs[0]?.describesPerVisit ?? 0)) / 86_400) * PEAK_FACTOR,
      q.describeExecution,
    ),
    use("SNS Publish /s", perSecondPeak * w.snsPublishes, q.snsPublish),
    use("Lambda concurrent executions", perSecondPeak * w.lambdaSeconds, COMMON.lambdaConcurrency),
    use("API Gateway requests /s", perSecondPeak * w.apiRequests, COMMON.apiRequests),
    use("ByTenant partition WCU (one tenant, all escrows)", perSecondPeak, COMMON.partitionWcu),
    use(
      "OpsQueue partition WCU (one tenant: enter and leave)",
      perSecondPeak * w.opsQueueShare * 2,
      COMMON.partitionWcu,
    ),
    use("ByDue shard WCU (hottest of 16)", (perSecondPeak * w.dueIndexWcu) / DUE_SHARDS, COMMON.partitionWcu),
  ];
  if (throughput)
    rows.push(
      use("reconciler visits a day (measured capacity)", perDay * w.reminderVisits, throughput.dailyCapacity),
    );
  return rows;
}

/** The fewest cells with no quota above TARGETS.quotaShareAtPeak in any cell. */
function cellsNeeded(w: Weighted, region: RegionClass, throughput: ThroughputFigures | null): number {
  for (let cells = 1; cells <= 200; cells++)
    if (quotasPerCell(w, cells, region, throughput).every((r) => r.share <= TARGETS.quotaShareAtPeak))
      return cells;
  return Number.POSITIVE_INFINITY;
}

export function capacityModel(
  paths: Record<PathName, PathFigures> | undefined,
  throughput: ThroughputFigures | null,
): { figures: Record<string, unknown> | null; checks: Check[] } {
  if (!paths) return { figures: null, checks: [] };
  const shares = Object.values(MIX).reduce((s, m) => s + (m as MixEntry).share, 0);
  if (Math.abs(shares - 1) > 1e-9) throw new Error(`the traffic mix adds up to ${shares}, not 1`);
  // The designs the model compares: how soon a wait parks in the record.
  const designs = [30, 7, 3, 1].map((parkAfterDays) => {
    const w = weigh(paths, parkAfterDays);
    const cells = Object.fromEntries(
      (Object.keys(REGION_CLASSES) as RegionClass[]).map((r) => [r, cellsNeeded(w, r, throughput)]),
    ) as Record<RegionClass, number>;
    const monthlyUSD = w.costUSD * ESCROWS_PER_DAY * 30 + cells["us-east-1"] * CELL_FIXED_USD_PER_MONTH;
    return {
      parkAfterDays,
      openExecutionsPerEscrowDays: round(w.openDays, 2),
      parksPerEscrow: round(w.parks, 2),
      transitionsPerEscrow: round(w.transitions, 2),
      costPerEscrowUSD: Number(w.costUSD.toPrecision(3)),
      happyCostAtMixWaitsUSD: Number(w.happyCostUSD.toPrecision(3)),
      cells,
      monthlyUSD: Math.round(monthlyUSD),
      weighted: w,
    };
  });
  // The choice: the cheapest a month (escrows and cells), among designs whose happy escrow — at the mix's
  // own wait times — stays within the target.
  const eligible = designs.filter((d) => d.happyCostAtMixWaitsUSD <= TARGETS.happyCostUSD);
  const chosen = [...(eligible.length ? eligible : designs)].sort(
    (a, b) => a.monthlyUSD - b.monthlyUSD,
  )[0] as (typeof designs)[number];
  const region: RegionClass = "us-east-1";
  const cells = chosen.cells[region];
  const table = Object.fromEntries(
    (Object.keys(REGION_CLASSES) as RegionClass[]).map((r) => [
      r,
      { cells: chosen.cells[r], quotas: quotasPerCell(chosen.weighted, chosen.cells[r], r, throughput) },
    ]),
  );
  const worst = table[region]?.quotas.reduce((a, b) => (b.share > a.share ? b : a));
  const figures = {
    escrowsPerDay: ESCROWS_PER_DAY,
    peakFactor: PEAK_FACTOR,
    mix: MIX,
    cellFixedUSDPerMonth: CELL_FIXED_USD_PER_MONTH,
    designs: designs.map(({ weighted, ...d }) => d),
    chosen: { parkAfterDays: chosen.parkAfterDays, region, cells },
    perEscrow: Object.fromEntries(
      Object.entries(chosen.weighted).map(([k, v]) => [k, round(v as number, 6)]),
    ),
    openExecutionsAtRest: Math.round(ESCROWS_PER_DAY * chosen.weighted.openDays),
    openExecutionsPerEscrowDays: round(chosen.weighted.openDays, 2),
    byRegionClass: table,
    bindingQuota: worst?.quota,
  };
  return {
    figures,
    checks: [
      [
        `capacity: highest quota share in a cell at ${PEAK_FACTOR}× peak (${cells} cells, ${region})`,
        `${worst?.share} (${worst?.quota})`,
        `≤ ${TARGETS.quotaShareAtPeak}`,
        (worst?.share ?? 1) <= TARGETS.quotaShareAtPeak,
      ],
    ],
  };
}
