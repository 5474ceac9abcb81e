import { DUE_SHARDS } from "../../functions/adapters/table-schema";
import { RECONCILE_DEFAULTS, RECONCILE_RESERVE_MS } from "../../functions/app/reconcile";
import { RECONCILER_MEMORY_MB, TIMEOUTS } from "../../infra/constructs/service-function";
import { SCALE } from "./prices";

/** What the stack configures for the reconciler, read from the sources that configure it (not restated). */
export const RECONCILER = {
  shards: DUE_SHARDS,
  concurrencyPerShard: RECONCILE_DEFAULTS.concurrency,
  pageSize: RECONCILE_DEFAULTS.pageSize,
  memoryMb: RECONCILER_MEMORY_MB,
  timeoutSeconds: TIMEOUTS.reconciler.toSeconds(),
  reserveSeconds: RECONCILE_RESERVE_MS / 1000,
  /** The stack's default `reconcileSeconds` (infra/constructs/settings.ts). */
  periodSeconds: SCALE.reconcileScheduleSeconds,
};
