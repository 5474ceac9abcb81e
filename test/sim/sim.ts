// First, on its own: the service's modules capture scrypt when they load.
import "./kernel/determinism";
import { fold } from "../../functions/domain/escrow";
import type { Violation } from "./check/checker";
import { Liveness } from "./check/liveness";
import { activate } from "./kernel/determinism";
import { SETTINGS, silenceServiceLogs } from "./wiring";
import { Actors } from "./world/actors";
import { Client } from "./world/client";
import { OpsDesk } from "./world/ops-desk";
import { ReconcilerSchedule } from "./world/reconciler-schedule";
import { type SimOptions, World } from "./world/world";

/**
 * One run of the simulation: deals made and acted on while faults strike,
 * invariants after every step; then every fault healed, nobody acting, the
 * clock run on until every escrow has settled (or should have), and liveness
 * checked. Stops at the first violation.
 */

export interface SimResult {
  options: SimOptions;
  /** Steps run with faults, then to heal. */
  steps: { chaos: number; liveness: number };
  startedAt: number;
  healedAt: number | null;
  endedAt: number;
  digest: string;
  violation: Violation | null;
  violations: readonly Violation[];
  /** The story of the escrow the violation is about. */
  story: readonly string[];
  storyOf(escrowId: string): readonly string[];
  summary: Record<string, unknown>;
  /** The fault knobs this run had on (what a shrink may turn off). */
  knobs: string[];
  /** What the run reached: faults injected, workflow states entered, how escrows of each kind ended. */
  coverage: { faults: Record<string, number>; states: string[]; outcomes: Record<string, number> };
}

/**
 * Healing needs few steps (the deals' own work; idle reconciler runs are skipped), unless the reconciler
 * looks in on escrows every period while others wait for deadlines far off: then the run is cut here.
 */
const LIVENESS_MAX_STEPS = 60_000;
/** The liveness phase ends at the latest this long after the last deadline (then whatever is left is stuck). */
const LIVENESS_SLACK_MS = 40 * 86_400_000;

export async function runSimulation(options: SimOptions): Promise<SimResult> {
  const world = new World(options);
  const client = new Client(world);
  const actors = new Actors(world, client, options.escrows);
  const desk = new OpsDesk(world, actors);
  const reconciler = new ReconcilerSchedule(world);
  const startedAt = world.now();
  let healedAt: number | null = null;
  let warnings = 0;
  const release = activate({
    random: world.random.service,
    scheduler: world.scheduler,
    warn: (m) => {
      warnings++;
      world.note(null, `the service warns: ${m.slice(0, 300)}`);
    },
  });
  const unsilence = silenceServiceLogs();
  const violations = world.checker.violations;
  // Stops at the first violation, unless asked to survey more.
  const limit = options.keepGoing ?? 1;
  const failed = () => violations.length >= limit;
  const step = async () => {
    const ev = await world.scheduler.step();
    if (ev) {
      world.trace.step(ev.label);
      world.checker.afterStep();
    }
    return ev;
  };
  let chaosSteps = 0;
  let unjudged: ReadonlySet<string> = new Set();
  try {
    actors.start();
    desk.start();
    reconciler.start();
    while (world.scheduler.steps < options.steps && !failed()) if (!(await step())) break;
    chaosSteps = world.scheduler.steps;
    if (!failed()) {
      healedAt = world.now();
      world.faults.healed = true;
      actors.stop();
      desk.stopped = true;
      world.note(null, "every fault healed; nobody acts any more");
      const liveness = new Liveness(world, world.checker, healedAt, reconciler.periodMs);
      let horizon = liveness.horizon();
      let settled = false;
      liveness.watch(world.scheduler);
      reconciler.onTick = () => {
        horizon = liveness.horizon();
        // Done: what is left is the reconciler looking in on escrows that wait for ops.
        settled = liveness.settled();
      };
      const maxSteps = chaosSteps + Math.max(options.steps, LIVENESS_MAX_STEPS);
      while (!failed() && !settled && world.scheduler.steps < maxSteps) {
        if (world.now() > horizon + LIVENESS_SLACK_MS) break;
        if (!(await step())) break;
      }
      // Out of steps while some escrows still wait for their deadlines (the reconciler looking in on
      // escrows that wait for ops costs steps every period): those are left unjudged, and counted.
      if (world.scheduler.steps >= maxSteps) liveness.cut();
      if (!failed()) liveness.finish(client.evidence);
      unjudged = liveness.unjudged;
    }
  } finally {
    release();
    unsilence();
  }
  const violation = violations[0] ?? null;
  const states = new Set<string>();
  for (const e of world.workflow.executions.values()) for (const s of e.path) states.add(s);
  const outcomes: Record<string, number> = {};
  for (const { escrowId } of world.store.refs()) {
    const record = world.store.peek(world.tenantId, escrowId);
    if (!record) continue;
    const s = fold(record.terms, record.history);
    const k = `${s.kind} ${s.status}`;
    outcomes[k] = (outcomes[k] ?? 0) + 1;
  }
  const executions = world.workflow.executions.size;
  return {
    options,
    steps: { chaos: chaosSteps, liveness: world.scheduler.steps - chaosSteps },
    startedAt,
    healedAt,
    endedAt: world.now(),
    digest: world.trace.digest(),
    violation,
    violations,
    story: violation?.escrowId ? world.trace.of(violation.escrowId) : world.trace.global.slice(-60),
    storyOf: (escrowId: string) => world.trace.of(escrowId),
    knobs: [
      ...(world.params.chaosMeanMs !== null ? ["chaos"] : []),
      ...(world.swarm.strikeRate > 0 ? ["strike"] : []),
      ...world.faults.outages
        .filter((o) => !world.faults.disabled.has(`outage.${o.id}`))
        .map((o) => `outage.${o.id}`),
      ...Object.entries(world.faults.rates).flatMap(([t, kinds]) =>
        Object.entries(kinds)
          .filter(([k, rate]) => (rate ?? 0) > 0 && !world.faults.disabled.has(`${t}.${k}`))
          .map(([k]) => `${t}.${k}`),
      ),
    ],
    coverage: {
      faults: Object.fromEntries([...world.faults.injected.entries()].sort()),
      states: [...states].sort(),
      outcomes,
    },
    summary: {
      weather: world.profile,
      outages: world.faults.outages.length,
      deals: actors.stats.deals,
      requests: actors.stats.requests,
      retries: actors.stats.retries,
      races: actors.stats.races,
      jumps: actors.stats.jumps,
      answers: Object.fromEntries([...client.byStatus.entries()].sort((a, b) => a[0] - b[0])),
      executions,
      movements: world.provider.movements.size,
      events: world.sns.deliveries.length,
      reconcilerRuns: reconciler.runs,
      reconcilerIdleTicks: reconciler.skipped,
      serviceWarnings: warnings,
      skewMs: world.params.maxSkewMs,
      quota: world.params.quota,
      periodSeconds: SETTINGS.reconcileSeconds,
      unjudged: unjudged.size,
    },
  };
}
