/**
 * List prices used for the cost figures: us-east-1, on demand, arm64, as read in
 * November 2026 (see ../shared/design/AWS-PRICES.md; "(3rd)" marks figures read
 * in third-party summaries rather than on AWS's own pricing page). Keep this the
 * only copy the benchmark uses; update the date when a figure changes.
 */
export const PRICES = {
  asOf: "2026-11",
  region: "us-east-1",
  stepFunctionsPerTransition: 0.025 / 1000, // aws.amazon.com/step-functions/pricing (Standard)
  lambdaPerRequest: 0.2 / 1_000_000, // (3rd)
  lambdaPerGbSecondArm: 0.0000133334, // (3rd), arm64
  apiGatewayRestPerRequest: 3.5 / 1_000_000, // (3rd), first 333 million a month
  dynamoPerWriteUnit: 0.625 / 1_000_000, // (3rd), on-demand write request unit
  dynamoPerReadUnit: 0.125 / 1_000_000, // (3rd), on-demand read request unit
  snsPerPublish: 0.5 / 1_000_000, // (3rd), per 64 KB chunk
} as const;

/** Quotas that bind first at scale (Step Functions developer guide; per account and Region). */
export const QUOTAS = {
  openStandardExecutions: 1_000_000,
  transitionsPerSecond: 1_500, // refill; burst 5,000
  startExecutionPerSecond: 300, // refill; burst 1,300
  sendTaskSuccessPerSecond: 500, // refill; burst 3,000
  apiGatewayRequestsPerSecond: 10_000,
} as const;

/**
 * The scale the per-escrow figures are read at (ARCHITECTURE.md: a million
 * escrows a day), and the reconciler's schedule in AWS (the stack's
 * `reconcileSeconds`, default 300 s: 288 runs a day, whatever the number of
 * escrows).
 */
export const SCALE = {
  escrowsPerDay: 1_000_000,
  reconcileScheduleSeconds: 300,
} as const;
