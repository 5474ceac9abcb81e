import { reconcilerHasWork, runReconciler, SETTINGS, skipIdleReconcilerRun } from "../wiring";
import type { World } from "./world";

/**
 * The reconciler's schedule (EventBridge, every ESCROW_RECONCILE_SECONDS):
 * each tick invokes it as a Lambda, runs overlapping if one outlasts the
 * period. A tick at which it would find nothing to do is skipped, straight
 * to the first tick at or after the next thing that can happen (a due mark,
 * any other event): between them every run would have been idle.
 */
export class ReconcilerSchedule {
  readonly periodMs = SETTINGS.reconcileSeconds * 1000;
  runs = 0;
  skipped = 0;
  onTick: (() => void) | null = null;

  constructor(private readonly world: World) {}

  start(): void {
    this.at(this.gridAfter(this.world.now()));
  }

  /** The first tick strictly after `t` (ticks fall on multiples of the period). */
  private gridAfter(t: number): number {
    return (Math.floor(t / this.periodMs) + 1) * this.periodMs;
  }

  private at(t: number): void {
    this.world.scheduler.at(t, "reconciler tick", () => this.tick(), "tick");
  }

  private tick(): void {
    this.onTick?.();
    const now = this.world.now();
    if (!reconcilerHasWork(this.world, now)) {
      skipIdleReconcilerRun(this.world, now);
      this.skipped++;
      const due = this.world.store.nextDue(new Date(now).toISOString());
      const work = this.world.scheduler.soonest("work");
      const soonest = Math.min(
        due ? Date.parse(due) : Number.POSITIVE_INFINITY,
        work ?? Number.POSITIVE_INFINITY,
      );
      if (soonest !== Number.POSITIVE_INFINITY) this.at(this.gridAfter(Math.max(now, soonest - 1)));
      return;
    }
    this.runs++;
    const { done } = this.world.lambda.invoke({
      kind: "reconciler",
      functionId: "Reconciler",
      label: `reconciler@${new Date(now).toISOString()}`,
      escrowId: null,
      timeoutMs: SETTINGS.timeoutMs.task,
      body: (op) => runReconciler(this.world.portsFor(op)),
    });
    void done.then((r) =>
      this.world.note(
        null,
        `reconciler run: ${"output" in r ? JSON.stringify(r.output) : `failed ${r.error}`}`,
      ),
    );
    this.at(now + this.periodMs);
  }
}
