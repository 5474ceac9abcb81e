import type { Actors } from "./actors";
import type { World } from "./world";

/**
 * The marketplace's ops staff: they look at their queue (every DISPUTED
 * escrow and every escrow that needs them) now and then — how often is drawn
 * per seed — and when an alert or a dispute reaches them, and take some of
 * it: a resolution, or for a dispute a request for evidence. Escalated
 * escrows are repaired this way, whatever the parties are doing.
 */
export class OpsDesk {
  private everyMs = 0;
  stopped = false;

  constructor(
    private readonly world: World,
    private readonly actors: Actors,
  ) {}

  start(): void {
    const r = this.world.random.actors;
    this.everyMs = r.pick([8 * 3_600_000, 86_400_000, 3 * 86_400_000]);
    this.next();
    this.world.sns.listeners.push((escrowId, what) => {
      if (this.stopped || !(what.startsWith("escrow.needs_ops") || what === "escrow.disputed")) return;
      const d = this.actors.deals.find((x) => x.escrowId === escrowId);
      if (d && r.chance(0.7))
        this.world.scheduler.after(r.logUniform(60_000, 4 * 3_600_000), "ops read an alert", () => {
          if (!this.stopped) void this.actors.actAsOps(d);
        });
    });
  }

  private next(): void {
    const r = this.world.random.actors;
    this.world.scheduler.after(r.int(1, this.everyMs), "ops look at their queue", () => {
      if (this.stopped) return;
      for (const d of this.actors.deals) {
        if (!d.escrowId || d.retired) continue;
        const record = this.world.store.peek(this.world.tenantId, d.escrowId);
        if (!record) continue;
        const s = this.world.checker.states.advance(record);
        if ((s.attention || s.status === "DISPUTED") && r.chance(0.5)) void this.actors.actAsOps(d);
      }
      this.next();
    });
  }
}
