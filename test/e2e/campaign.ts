import { waitFor } from "../support/wait";
import {
  checkEvents,
  checkLedger,
  dictatedStatus,
  type HistoryItem,
  RecordingApi,
  statusFitsSettlement,
  TERMINAL,
  TERMINAL_ENTRIES,
} from "./campaign/checks";
import { drive, type RunState, readEscrow, readHistory } from "./campaign/drive";
import { ExecutionObserver } from "./campaign/observer";
import { type CampaignOptions, planCampaign, sleep } from "./campaign/plan";

export * from "./campaign/checks";
export {
  type CampaignOptions,
  type EscrowPlan,
  FAULT_KINDS,
  type FaultPlan,
  PATHS,
  type PathName,
  planCampaign,
  prng,
} from "./campaign/plan";

/**
 * The fault campaign (issue #7, item 7), shared by `npm run bench` and the
 * smaller run in `npm test` (test/e2e/fault-campaign.test.ts): escrows along
 * random paths while random faults of every kind come and go, then every
 * fault is cleared, the reconciler does its work, and each escrow's record,
 * the sandbox provider's ledger and the published events are held against
 * each other.
 *
 * Everything random is drawn up front from one seeded PRNG (the paths, their
 * variants, think times, start times and the fault schedule), so a seed
 * replays the same campaign; what the service then does with it depends on
 * timing, as it would in production.
 *
 * The clients behave as a careful integrator does: a 503 (after its
 * Retry-After), a network error or `409 idempotency_in_progress` is retried
 * with the same Idempotency-Key and body; a 409/422 that follows such a retry
 * must be explained by the record (the first attempt landed, or the escrow
 * has moved on), and is counted as `unexplained` otherwise.
 */
// ---------------------------------------------------------------- the campaign

export interface CampaignFigures {
  seed: number;
  escrows: number;
  stranded: number;
  doubleMoves: number;
  lostEvents: number;
  maxRecoverySeconds: number;
}

export interface CampaignResult extends CampaignFigures {
  /** Seconds from clearing the faults until the last expected event was published. */
  maxEventRecoverySeconds: number;
  /** API answers 500 (never allowed). */
  answers500: number;
  /** 409/422 answers the record does not explain, and other answers a client could not act on. */
  unexplained: number;
  /** Event ids delivered with different bodies, and events the history does not announce. */
  inconsistentEvents: number;
  /** Deliveries beyond the first of each event id (allowed: at least once), and the most of one id. */
  duplicateDeliveries: number;
  maxDeliveriesOfOneEvent: number;
  /** Requests whose 503 had changed something (their retry was answered as a replay). */
  landedDespite503: number;
  faultsInjected: number;
  faultSeconds: number;
  reconcileSeconds: number;
  paths: Record<string, number>;
  outcomes: Record<string, number>;
  answers: Record<string, number>;
  conflictsAfterRetry: string[];
  problems: string[];
  /** Escrows that needed ops (escalated, or needsOpsAttention at the end) although every fault was transient. */
  leftForOps: number;
  /** The long outages: two dependencies at once while the service's clock moved. */
  longOutages: { faults: string[]; equivalentSeconds: number; realSeconds: number }[];
  /** Ops alerts about a dependency failing for 15 minutes, and about its recovery. */
  dependencyAlerts: { failing: number; recovered: number };
  /** Executions per escrow, and the most seen RUNNING for one escrow at once (sampled). */
  executions: Awaited<ReturnType<ExecutionObserver["stop"]>>;
}

/**
 * Runs the campaign against a running local service (its reconciler period
 * `reconcileSeconds`): escrows and faults as planned from the seed, then the
 * faults cleared, recovery awaited, and the figures counted.
 */
export async function runCampaign(url: string, options: CampaignOptions): Promise<CampaignResult> {
  const log = options.log ?? (() => {});
  const api = new RecordingApi(url);
  await api.token();
  await api.token("ops");
  const plan = planCampaign(options);
  const recoveryMs =
    (options.recoveryTimeoutSeconds ?? options.reconcileSeconds + 60 + 90) * 1000 +
    options.faultSeconds * 1000;
  const t0 = Date.now();
  const observer = new ExecutionObserver(url);
  await observer.start();
  const run: RunState = {
    api,
    // Until the faults are cleared (the long outages take as long as the clock's moves): then the bound.
    deadline: Number.POSITIVE_INFINITY,
    unexplained: [],
    conflictsAfterRetry: [],
    landedDespite503: [],
    log,
  };
  log(
    `fault campaign: seed ${options.seed}, ${plan.escrows.length} escrows, ${plan.faults.length} faults over ${options.faultSeconds} s (reconciler every ${options.reconcileSeconds} s)`,
  );

  // Faults come and go on their schedule; every one is cleared at the end of the phase.
  const injected: string[] = [];
  const shortDone = (async () => {
    for (const f of plan.faults) {
      await sleep(Math.max(0, t0 + f.atMs - Date.now()));
      await api.injectFault(f.spec);
      injected.push(
        `${((Date.now() - t0) / 1000).toFixed(1)}s ${f.spec.target}${f.spec.operation ? `/${f.spec.operation}` : ""} ${f.spec.mode} p=${f.spec.probability} ${f.spec.seconds}s`,
      );
    }
    await sleep(Math.max(0, t0 + options.faultSeconds * 1000 - Date.now()));
  })();
  // The long outages: two dependencies fail at once, and the service's clock moves a minute at a time
  // (the workflow's retries, the reconciler's runs and its 15-minute alert all follow the clock).
  const longOutages: CampaignResult["longOutages"] = [];
  const longDone = (async () => {
    for (const outage of plan.longOutages) {
      await sleep(Math.max(0, t0 + outage.atMs - Date.now()));
      const started = Date.now();
      const ids = [];
      for (const spec of outage.specs) ids.push((await api.injectFault(spec)).id);
      await advanceClockBy(api, outage.equivalentSeconds);
      for (const id of ids) await api.call("DELETE", `/_local/faults/${id}`, { token: null });
      const what = outage.specs.map(
        (s) => `${s.target}${s.operation ? `/${s.operation}` : ""} p=${s.probability}`,
      );
      longOutages.push({
        faults: what,
        equivalentSeconds: outage.equivalentSeconds,
        realSeconds: Math.round((Date.now() - started) / 1000),
      });
      log(`  long outage: ${what.join(" + ")} for ${outage.equivalentSeconds} s of the service's clock`);
    }
  })();
  const faultsDone = (async () => {
    await Promise.all([shortDone, longDone]);
    await api.clearFaults();
    const at = Date.now();
    run.deadline = at + recoveryMs - options.faultSeconds * 1000;
    return at;
  })();
  const runs = Promise.all(plan.escrows.map((p) => drive(run, p, t0)));
  const clearedAt = await faultsDone;
  log(`faults cleared at ${((clearedAt - t0) / 1000).toFixed(1)} s; waiting for recovery…`);
  const results = await runs;
  for (const line of injected) log(`  fault ${line}`);

  // Events: wait (within the same bound) until every event the histories announce has been published.
  const ids = results.filter((r) => r.id).map((r) => r.id as string);
  const histories = new Map<string, HistoryItem[]>();
  const missingNow = async () => {
    let missing = 0;
    for (const id of ids) {
      const history = histories.get(id) ?? (await readHistory(run, id));
      // a terminal history no longer changes: keep it
      if (history.some((h) => TERMINAL_ENTRIES.has(h.type))) histories.set(id, history);
      missing += checkEvents(id, history, await api.notifications(id)).missing.length;
    }
    return missing;
  };
  let eventsCompleteAt = Date.now();
  try {
    await waitFor(async () => (await missingNow()) === 0, {
      timeoutMs: Math.max(0, run.deadline - Date.now()),
      intervalMs: 1000,
      what: "every announced event to be published",
    });
    eventsCompleteAt = Date.now();
  } catch {
    eventsCompleteAt = Number.NaN;
  }

  // The figures.
  const problems: string[] = [];
  let stranded = 0;
  let doubleMoves = 0;
  let lostEvents = 0;
  let inconsistentEvents = 0;
  let duplicateDeliveries = 0;
  let maxDeliveriesOfOneEvent = 0;
  let leftForOps = 0;
  const dependencyAlerts = { failing: 0, recovered: 0 };
  const outcomes: Record<string, number> = {};
  const paths: Record<string, number> = {};
  const allKeys = new Map<string, number>();
  for (const m of await api.payments()) allKeys.set(m.key, (allKeys.get(m.key) ?? 0) + 1);
  for (const r of results) {
    paths[r.plan.path] = (paths[r.plan.path] ?? 0) + 1;
    const label = `#${r.plan.n} ${r.id ?? "(not created)"} (${r.plan.path})`;
    if (!r.id) {
      problems.push(`${label}: ${r.error}`);
      continue;
    }
    const escrow = await readEscrow(run, r.id);
    const history = await readHistory(run, r.id);
    outcomes[escrow.status] = (outcomes[escrow.status] ?? 0) + 1;
    const dictated = dictatedStatus(history);
    const strandedWhy = !TERMINAL.has(escrow.status)
      ? `still ${escrow.status}${escrow.pendingAction ? ` with ${escrow.pendingAction} pending` : ""}${escrow.needsOpsAttention ? ` needing ops (${escrow.attentionReason})` : ""}${r.error ? `; client: ${r.error}` : ""}`
      : dictated !== null && dictated !== escrow.status
        ? `${escrow.status} although the record dictates ${dictated}`
        : !statusFitsSettlement(escrow)
          ? `${escrow.status} with settlement ${JSON.stringify(escrow.settlement)}`
          : null;
    if (strandedWhy) {
      stranded++;
      problems.push(`${label} stranded: ${strandedWhy}`);
    }
    if (escrow.needsOpsAttention || history.some((h) => h.type === "escalated")) {
      leftForOps++;
      problems.push(`${label} left for ops (${escrow.attentionReason ?? "escalated"}) by transient faults`);
    }
    const alerts = await opsAlerts(url, r.id);
    dependencyAlerts.failing += alerts.filter((t) => t === "escrow.dependency_failing").length;
    dependencyAlerts.recovered += alerts.filter((t) => t === "escrow.dependency_recovered").length;
    const ledger = await api.payments(r.id);
    const moves = checkLedger(escrow, ledger);
    if (moves.length > 0) {
      doubleMoves++;
      problems.push(`${label} money: ${moves.join("; ")}`);
    }
    const events = checkEvents(r.id, history, await api.notifications(r.id));
    lostEvents += events.missing.length;
    if (events.missing.length) problems.push(`${label} events never published: ${events.missing.join(", ")}`);
    inconsistentEvents += events.inconsistent.length + events.unexpected.length;
    if (events.inconsistent.length)
      problems.push(`${label} one id, different bodies: ${events.inconsistent.join(", ")}`);
    if (events.unexpected.length)
      problems.push(`${label} events the history does not announce: ${events.unexpected.join(", ")}`);
    duplicateDeliveries += events.deliveries - events.distinct;
    maxDeliveriesOfOneEvent = Math.max(maxDeliveriesOfOneEvent, events.most);
  }
  const executions = await observer.stop(ids);
  if (executions.maxRunningAtOnce > 1)
    problems.push(`two executions running at once for ${executions.escrowsWithTwoRunning.join(", ")}`);
  const repeatedKeys = [...allKeys].filter(([, n]) => n > 1);
  if (repeatedKeys.length) problems.push(`ledger keys repeated: ${repeatedKeys.map(([k]) => k).join(", ")}`);
  const lastTerminal = Math.max(clearedAt, ...results.map((r) => r.terminalAt ?? Number.POSITIVE_INFINITY));
  const answers = Object.fromEntries([...api.statuses].sort(([a], [b]) => a - b).map(([s, n]) => [s, n]));
  for (const line of api.answers500) problems.push(`500: ${line}`);
  for (const line of run.unexplained) problems.push(`unexplained: ${line}`);
  for (const line of run.landedDespite503) problems.push(`a 503 that changed something: ${line}`);
  for (const r of results)
    if (r.id && r.terminalAt === null)
      problems.push(`#${r.plan.n} ${r.id} (${r.plan.path}) late: ${r.error}`);
  return {
    seed: options.seed,
    escrows: plan.escrows.length,
    stranded,
    doubleMoves,
    lostEvents,
    maxRecoverySeconds: Number.isFinite(lastTerminal)
      ? Math.round((lastTerminal - clearedAt) / 100) / 10
      : Number.NaN,
    maxEventRecoverySeconds: Number.isFinite(eventsCompleteAt)
      ? Math.round((Math.max(eventsCompleteAt, clearedAt) - clearedAt) / 100) / 10
      : Number.NaN,
    answers500: api.answers500.length,
    unexplained: run.unexplained.length,
    inconsistentEvents,
    duplicateDeliveries,
    maxDeliveriesOfOneEvent,
    landedDespite503: run.landedDespite503.length,
    faultsInjected: injected.length,
    faultSeconds: options.faultSeconds,
    reconcileSeconds: options.reconcileSeconds,
    paths,
    outcomes,
    answers,
    conflictsAfterRetry: run.conflictsAfterRetry,
    problems,
    leftForOps,
    longOutages,
    dependencyAlerts,
    executions,
  };
}

/** The types of the ops alerts published about one escrow. */
async function opsAlerts(url: string, escrowId: string): Promise<string[]> {
  const res = await fetch(`${url}/_local/notifications?escrowId=${escrowId}&topic=ops`);
  if (res.status !== 200) return [];
  return ((await res.json()) as { items: { event: { type: string } }[] }).items.map((i) => i.event.type);
}

/**
 * Moves the service's clock `seconds` forward, a minute at a time. A move can fail while faults are in
 * force (it asks the reconciler's Lambda and DynamoDB when the next mark is due): it is retried from where
 * the clock got to, so the clock ends exactly `seconds` ahead.
 */
async function advanceClockBy(api: RecordingApi, seconds: number): Promise<void> {
  const offset = async () => {
    const res = await api.call("GET", "/_local/clock", { token: null });
    return Number(res.body.offsetSeconds);
  };
  const target = (await offset()) + seconds;
  for (let attempt = 0; attempt < 1000; attempt++) {
    const left = target - (await offset());
    if (left <= 0) return;
    await api.advanceClock(Math.min(60, left)).catch(() => sleep(500));
  }
  throw new Error(`the service's clock did not move ${seconds} s`);
}
