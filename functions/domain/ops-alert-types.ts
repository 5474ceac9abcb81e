/**
 * The types of the ops-alerts topic (API.md v1.2, "Ops alerts"), beside the
 * escrow events: every one has a published schema (GET /v1/events/schemas).
 */
export const OPS_ALERT_TYPES = [
  "escrow.dispute_unresolved",
  "escrow.needs_ops",
  "escrow.dependency_failing",
  "escrow.dependency_recovered",
] as const;
export type OpsAlertType = (typeof OPS_ALERT_TYPES)[number];

/** Stable per escrow and version, so a repeated alert carries the same id (as events do). */
export const alertId = (escrowId: string, version: number): string => `alr_${escrowId.slice(4)}_${version}`;
