import type { Random } from "../kernel/random";
import {
  type FaultKind,
  FaultPlan,
  KINDS_OF,
  type Outage,
  type Rates,
  TARGETS,
  type Target,
} from "../ports/faults";

/**
 * A seed's weather, drawn as VOPR draws its fault probabilities: how often
 * each kind of fault strikes each dependency (from never to one call in ten),
 * and a list of outages — of one operation or a whole dependency, partial or
 * total, from a second to days, some overlapping on purpose (two
 * dependencies down at once).
 */

const DAY_MS = 86_400_000;
const OPERATIONS: Record<Target, string[]> = {
  dynamodb: ["GetItem", "PutItem", "UpdateItem", "Query"],
  stepfunctions: ["StartExecution", "SendTaskSuccess", "DescribeExecution", "ListExecutions"],
  sns: ["Publish"],
  payments: ["hold", "void", "payout", "fee", "refund"],
  lambda: [
    "HoldFunds",
    "BeginWait",
    "ApplyDeadline",
    "SettleEscrow",
    "RecordPaymentFailure",
    "EscalateToOps",
  ],
};

export interface Weather {
  plan: FaultPlan;
  profile: string;
}

export function drawWeather(r: Random, start: number, outageRandom: Random): Weather {
  const profile = r.weighted({ calm: 15, showery: 45, stormy: 40 });
  const scale = profile === "calm" ? 0.2 : profile === "showery" ? 1 : 3;
  const rates = {} as Rates;
  for (const target of TARGETS) {
    rates[target] = {};
    for (const kind of KINDS_OF[target]) {
      const rate = r.weighted({ never: 35, rare: 30, sometimes: 25, often: 10 });
      const base = rate === "never" ? 0 : rate === "rare" ? 0.001 : rate === "sometimes" ? 0.01 : 0.04;
      (rates[target] as Partial<Record<FaultKind, number>>)[kind] = Math.min(0.15, base * scale);
    }
  }
  const outages: Outage[] = [];
  const count = profile === "calm" ? r.int(0, 2) : profile === "showery" ? r.int(1, 6) : r.int(4, 14);
  for (let i = 0; i < count; i++) {
    const target = r.pick(TARGETS);
    const begins = start + r.logUniform(1_000, 120 * DAY_MS);
    const o = outage(r, outages.length, target, begins);
    outages.push(o);
    // Trouble rarely comes alone: another dependency fails over the same time.
    if (r.chance(0.35)) {
      const other = r.pick(TARGETS.filter((t) => t !== target));
      outages.push({
        ...outage(r, outages.length, other, o.start + r.int(0, o.end - o.start)),
        end: o.end + r.int(0, 600_000),
      });
    }
  }
  return { plan: new FaultPlan(rates, outages, outageRandom), profile };
}

function outage(r: Random, id: number, target: Target, start: number): Outage {
  // Lambda does not crash for hours on end: its outages are refusals and throttling (crashes are a rate).
  const kinds = KINDS_OF[target].filter((k) => k !== "crash");
  const kind: FaultKind = r.chance(0.6)
    ? kinds.includes("error")
      ? "error"
      : (kinds[0] as FaultKind)
    : r.pick(kinds);
  const length = r.weighted({ blip: 30, minutes: 30, hours: 25, days: 15 });
  const ms =
    length === "blip"
      ? r.logUniform(1_000, 60_000)
      : length === "minutes"
        ? r.logUniform(60_000, 3_600_000)
        : length === "hours"
          ? r.logUniform(3_600_000, DAY_MS)
          : r.logUniform(DAY_MS, 7 * DAY_MS);
  return {
    id,
    target,
    operation: r.chance(0.3) ? r.pick(OPERATIONS[target]) : null,
    kind,
    probability: r.pick([1, 1, 0.9, 0.5]),
    start,
    end: start + ms,
  };
}

/**
 * Trouble at the worst moment (FoundationDB's "buggify"): right after money
 * moved at the provider, the write that records it, or the next movement,
 * starts failing for minutes to hours. This is how money is left held or
 * moved twice, and a uniform rate seldom lines it up.
 */
export function strikeAfterMovement(r: Random, plan: FaultPlan, now: number, type: string): Outage {
  const next: Record<string, string> = {
    hold: "void",
    payout: "fee",
    fee: "refund",
    refund: "payout",
    void: "hold",
  };
  const where = r.weighted({ record: 50, next: 35, workflow: 15 });
  const o: Outage = {
    id: plan.outages.length,
    target: where === "record" ? "dynamodb" : where === "next" ? "payments" : "stepfunctions",
    operation: where === "record" ? "UpdateItem" : where === "next" ? (next[type] ?? null) : null,
    kind: "error",
    probability: r.pick([1, 0.9]),
    start: now,
    end: now + r.logUniform(60_000, 6 * 3_600_000),
  };
  plan.outages.push(o);
  return o;
}

export const describeOutage = (o: Outage) =>
  `outage ${o.id}: ${o.target}${o.operation ? `.${o.operation}` : ""} ${o.kind} (${Math.round(o.probability * 100)}%) for ${Math.round((o.end - o.start) / 1000)} s`;
