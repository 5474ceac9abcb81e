/** The campaign's plan, drawn up front from one seeded PRNG: escrows along paths, and faults on a schedule. */
// ---------------------------------------------------------------- seeded randomness

/** mulberry32: a small, good-enough PRNG with a 32-bit state. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const between = (rnd: () => number, lo: number, hi: number) => lo + (hi - lo) * rnd();
export const intBetween = (rnd: () => number, lo: number, hi: number) => Math.floor(between(rnd, lo, hi + 1));
export const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- the plan

export const BUYER = "u-camp-buyer";
export const SELLER = "u-camp-seller";

export const PATHS = [
  "happy",
  "cancellation",
  "refundFull",
  "refundPartial",
  "disputeRelease",
  "disputeRefund",
  "disputeSplit",
  "autoRelease",
  "autoRefund",
  // the kinds' own paths (issue #16): a car's two holds (deposit, then balance), and a rental claim
  // rejected in part — the undisputed part paid at once (partially_settled), the rest split by ops
  "vehicle",
  "rentalSplit",
] as const;
export type PathName = (typeof PATHS)[number];

export interface EscrowPlan {
  n: number;
  path: PathName;
  key: string;
  startAtMs: number;
  amount: number;
  fee: number;
  windows?: Record<string, number>;
  /** Buyer extends the inspection window once (happy: by a minute; autoRelease: by a few seconds). */
  extendSeconds: number | null;
  /** Who cancels or disputes. */
  party: "buyer" | "seller";
  /** disputes: opened directly, or by the seller rejecting a refund request. */
  viaRejectedRefund: boolean;
  refundAmount: number;
  thinkMs: number[];
}

/** One of the long outages: two dependencies failing at once while the service's clock moves `equivalentSeconds`. */
export interface LongOutage {
  atMs: number;
  specs: FaultPlan["spec"][];
  equivalentSeconds: number;
}

export interface FaultPlan {
  atMs: number;
  spec: {
    target: "stepfunctions" | "sns" | "lambda" | "dynamodb" | "payments";
    operation?: string;
    mode: "error" | "ambiguous";
    probability: number;
    seconds: number;
  };
}

/** Every kind of fault the campaign injects; each is injected at least once. */
export const FAULT_KINDS: FaultPlan["spec"][] = [
  { target: "sns", operation: "Publish", mode: "error", probability: 1, seconds: 1 },
  { target: "stepfunctions", operation: "StartExecution", mode: "error", probability: 1, seconds: 1 },
  { target: "stepfunctions", operation: "SendTaskSuccess", mode: "error", probability: 1, seconds: 1 },
  { target: "stepfunctions", mode: "error", probability: 1, seconds: 1 },
  { target: "lambda", mode: "error", probability: 1, seconds: 1 },
  { target: "dynamodb", mode: "error", probability: 1, seconds: 1 },
  { target: "dynamodb", operation: "UpdateItem", mode: "error", probability: 1, seconds: 1 },
  { target: "dynamodb", operation: "UpdateItem", mode: "ambiguous", probability: 1, seconds: 1 },
  { target: "dynamodb", operation: "PutItem", mode: "ambiguous", probability: 1, seconds: 1 },
  { target: "dynamodb", mode: "ambiguous", probability: 1, seconds: 1 },
  ...(["hold", "payout", "fee", "refund"] as const).flatMap((operation) => [
    { target: "payments" as const, operation, mode: "error" as const, probability: 1, seconds: 1 },
    { target: "payments" as const, operation, mode: "ambiguous" as const, probability: 1, seconds: 1 },
  ]),
];

export interface CampaignOptions {
  seed: number;
  escrows: number;
  /** How long faults come and go; escrows start during the first 60 % of it. */
  faultSeconds: number;
  /** The service's reconciliation period (ESCROW_RECONCILE_SECONDS), for the recovery bound. */
  reconcileSeconds: number;
  /** Faults of every kind last 1 s up to this (default 12 s). */
  maxFaultSeconds?: number;
  /** One long Lambda outage (with probability ≥ 0.8) of this many seconds, so tasks exhaust their retries (0: none). */
  longLambdaSeconds?: number;
  /**
   * The long outages (issue #16): two dependencies failing at once while the service's clock moves this
   * many seconds (past the 15-minute alert), and a second pair for at least 5 minutes (0: none).
   */
  longOutageSeconds?: number;
  /** How long after the faults are cleared the campaign waits for recovery before counting (default period + 60 + 90 s). */
  recoveryTimeoutSeconds?: number;
  log?: (line: string) => void;
}

export function planCampaign(options: CampaignOptions): {
  escrows: EscrowPlan[];
  faults: FaultPlan[];
  longOutages: LongOutage[];
} {
  const rnd = prng(options.seed);
  const faultMs = options.faultSeconds * 1000;
  const escrows: EscrowPlan[] = [];
  for (let n = 0; n < options.escrows; n++) {
    // Every path at least once when there are enough escrows, then at random.
    const path = n < PATHS.length && options.escrows >= PATHS.length ? PATHS[n] : pick(rnd, PATHS);
    const amount = intBetween(rnd, 1000, 50_000);
    const fee = Math.floor(amount * between(rnd, 0, 0.08));
    const windows: Record<string, number> | undefined =
      path === "autoRelease"
        ? { confirmationSeconds: intBetween(rnd, 3, 8) }
        : path === "autoRefund"
          ? { deliverySeconds: intBetween(rnd, 3, 8) }
          : undefined;
    escrows.push({
      n,
      path: path as PathName,
      key: `campaign-${options.seed}-${n}-${Math.floor(rnd() * 1e9).toString(36)}`,
      startAtMs: Math.floor(between(rnd, 0, faultMs * 0.6)),
      amount,
      fee,
      ...(windows ? { windows } : {}),
      extendSeconds:
        path === "happy" && rnd() < 0.4
          ? 60
          : path === "autoRelease" && rnd() < 0.5
            ? intBetween(rnd, 2, 4)
            : null,
      party: rnd() < 0.5 ? "buyer" : "seller",
      viaRejectedRefund: rnd() < 0.5,
      refundAmount: intBetween(rnd, 1, amount - 1),
      thinkMs: Array.from({ length: 8 }, () => Math.floor(between(rnd, 0, 1500))),
    });
  }
  const faults: FaultPlan[] = [];
  const maxSeconds = options.maxFaultSeconds ?? 12;
  const kinds = [...FAULT_KINDS];
  // Each kind once, in random order, spread over the fault phase; then as many again at random.
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j] as FaultPlan["spec"], kinds[i] as FaultPlan["spec"]];
  }
  const extra = Array.from({ length: kinds.length }, () => pick(rnd, FAULT_KINDS));
  for (const [i, kind] of [...kinds, ...extra].entries()) {
    const slot = faultMs / (kinds.length * 2);
    const seconds = intBetween(rnd, 1, maxSeconds);
    faults.push({
      atMs: Math.min(faultMs - 1000, Math.floor(i * slot + between(rnd, 0, slot))),
      spec: {
        ...kind,
        probability: rnd() < 0.3 ? 1 : Number(between(rnd, 0.2, 1).toFixed(2)),
        seconds: Math.max(1, Math.min(seconds, Math.ceil(options.faultSeconds - (i * slot) / 1000))),
      },
    });
  }
  if (options.longLambdaSeconds) {
    faults.push({
      atMs: Math.floor(between(rnd, 0, Math.max(0, faultMs - options.longLambdaSeconds * 1000))),
      spec: {
        target: "lambda",
        mode: "error",
        probability: Number(between(rnd, 0.8, 1).toFixed(2)),
        seconds: options.longLambdaSeconds,
      },
    });
  }
  faults.sort((a, b) => a.atMs - b.atMs);
  const long = options.longOutageSeconds ?? 0;
  const longOutages: LongOutage[] = long
    ? [
        {
          atMs: Math.floor(faultMs * between(rnd, 0.3, 0.4)),
          equivalentSeconds: long,
          specs: [
            // Every movement after the hold (a hold that stays unavailable cancels the escrow, by design).
            { target: "payments", operation: "payout", mode: "error", probability: 1, seconds: 600 },
            { target: "payments", operation: "fee", mode: "error", probability: 1, seconds: 600 },
            { target: "payments", operation: "refund", mode: "error", probability: 1, seconds: 600 },
            { target: "sns", operation: "Publish", mode: "error", probability: 1, seconds: 600 },
          ],
        },
        {
          atMs: Math.floor(faultMs * between(rnd, 0.6, 0.7)),
          equivalentSeconds: Math.max(300, Math.round(long / 2)),
          specs: [
            {
              target: "stepfunctions",
              operation: "SendTaskSuccess",
              mode: "error",
              probability: 1,
              seconds: 600,
            },
            { target: "dynamodb", mode: "error", probability: 0.3, seconds: 600 },
          ],
        },
      ]
    : [];
  return { escrows, faults, longOutages };
}
