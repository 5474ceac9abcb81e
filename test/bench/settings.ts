/**
 * The bench's settings (environment) and its targets (issue #21: the ones in
 * force, so that a FAIL line means something).
 *
 * Environment: BENCH_SECONDS (load phase, default 30), BENCH_CLIENTS (16),
 * BENCH_INIT_RUNS (7), BENCH_SKIP_SYNTH=1 (reuse .bench/cdk.out),
 * BENCH_LOAD_ONLY=1 (only the load phase, against BENCH_URL).
 *
 * The fault campaign: BENCH_SEED (replays a campaign; random and printed
 * otherwise), BENCH_FAULT_ESCROWS (50), BENCH_FAULT_SECONDS (90, how long
 * faults come and go), BENCH_LONG_LAMBDA_SECONDS (70: one Lambda outage long
 * enough for tasks to exhaust their retries), BENCH_LONG_OUTAGE_SECONDS (900:
 * the outage of a dependency on the service's clock, past the 15-minute alert),
 * BENCH_RECONCILE_SECONDS (5, the reconciler's period in that run),
 * BENCH_FAULTS_ONLY=1 (only the campaign), BENCH_SKIP_FAULTS=1 (no campaign).
 *
 * The reconciler's throughput (DynamoDB Local, Java 17): BENCH_BACKLOG (due
 * marks seeded, default 4000), BENCH_SKIP_RECONCILER=1.
 */
export const LOAD_SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
export const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
export const INIT_RUNS = Number(process.env.BENCH_INIT_RUNS ?? 7);
export const LOAD_ONLY = process.env.BENCH_LOAD_ONLY === "1";
export const FAULTS_ONLY = process.env.BENCH_FAULTS_ONLY === "1";
export const SKIP_FAULTS = process.env.BENCH_SKIP_FAULTS === "1";
export const SKIP_RECONCILER = process.env.BENCH_SKIP_RECONCILER === "1";
export const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 4000);
export const CAMPAIGN = {
  seed: process.env.BENCH_SEED ? Number(process.env.BENCH_SEED) : Math.floor(Math.random() * 2 ** 31),
  escrows: Number(process.env.BENCH_FAULT_ESCROWS ?? 50),
  faultSeconds: Number(process.env.BENCH_FAULT_SECONDS ?? 90),
  longLambdaSeconds: Number(process.env.BENCH_LONG_LAMBDA_SECONDS ?? 70),
  longOutageSeconds: Number(process.env.BENCH_LONG_OUTAGE_SECONDS ?? 900),
  reconcileSeconds: Number(process.env.BENCH_RECONCILE_SECONDS ?? 5),
};
/** The reconciler's period in the cost and load phases: it runs only when the bench asks (POST /_local/reconcile). */
export const IDLE_RECONCILE_SECONDS = 86_400;

/**
 * Issue #21's targets. The happy path's transitions and cost (reconciler
 * included), and every other path's cost no higher than it was when the
 * targets were set (`PATH_COST_CEILING_USD`, the figures of 2026-11-29 plus
 * 2 % for the noise in measured Lambda durations).
 */
export const TARGETS = {
  happyTransitions: 7,
  happyCostUSD: 0.00021,
  writesPerLifecycle: 23,
  bundleKB: 400,
  initRatio: 1.5,
  /** No quota above this share of its limit in any cell, at the peak hour. */
  quotaShareAtPeak: 0.5,
};

/** Each path's cost when issue #21 set the targets (README, "Cost and scale"), before the 2 % allowance. */
const PATH_COST_WHEN_SET_USD = {
  happy: 0.000206,
  happyReminded: 0.000209,
  refund: 0.000267,
  dispute: 0.000268,
  disputeEvidence: 0.000338,
  autoRelease: 0.000224,
  autoRefund: 0.000166,
  rentalReturn: 0.000283,
  rentalClaim: 0.000343,
  rentalPartialDispute: 0.000454,
  rentalOpsSplit: 0.000434,
  carRelease: 0.000299,
  carRejected: 0.000147,
  carForfeited: 0.000166,
} as const;
export const PATH_COST_CEILING_USD: Record<string, number> = Object.fromEntries(
  Object.entries(PATH_COST_WHEN_SET_USD).map(([k, v]) => [k, Number((v * 1.02).toPrecision(3))]),
);
