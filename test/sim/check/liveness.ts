import { fold } from "../../../functions/domain/escrow";
import { UNCONFIRMED_CREATION_SECONDS } from "../../../functions/domain/reconciliation";
import type { Scheduler } from "../kernel/scheduler";
import type { CheckedWorld, Checker } from "./checker";
import { owedEvent } from "./events";
import { TERMINAL } from "./transitions";

/**
 * Liveness, once every fault is healed and nobody acts any more: every
 * escrow reaches the outcome its record and deadlines dictate, each within
 * a reconciliation period (plus the time its own work takes) of the later of
 * the healing and its deadline; every event it owes is published; no
 * execution is left running; no escrow needs ops except for a payout the
 * provider refused for good.
 */

/** Beyond the period: the grace the record gives the workflow before the reconciler looks, and the work itself. */
const WORK_MARGIN_MS = 180_000;

export class Liveness {
  private readonly reported = new Set<string>();
  /** Escrows still waiting for a deadline when the run had to stop: not judged (counted in the summary). */
  readonly unjudged = new Set<string>();

  constructor(
    private readonly w: CheckedWorld,
    private readonly checker: Checker,
    private readonly healedAt: number,
    private readonly periodMs: number,
  ) {}

  /** The latest time by which the escrow must have moved, or null when nothing is expected of it. */
  expectedBy(escrowId: string): number | null {
    const record = this.w.store.peek(this.w.tenantId, escrowId);
    if (!record) return null;
    const s = this.checker.states.advance(record);
    if (TERMINAL.includes(s.status) || s.attention?.reason === "payout_rejected") return null;
    const lastEntry = Date.parse(record.history.at(-1)?.at ?? s.createdAt);
    const base =
      s.deadline !== null
        ? Date.parse(s.deadline)
        : s.status === "PENDING_FUNDS" && !s.pending
          ? // A creation no answer confirmed may wait for its key's retry until the idempotency window ends.
            Date.parse(s.createdAt) + UNCONFIRMED_CREATION_SECONDS * 1000
          : lastEntry;
    return Math.max(this.healedAt, base) + this.periodMs + WORK_MARGIN_MS;
  }

  /** Looks for escrows that should have moved by now and have not. */
  check(): void {
    const now = this.w.now();
    for (const { escrowId } of this.w.store.refs()) {
      if (this.reported.has(escrowId)) continue;
      const by = this.expectedBy(escrowId);
      if (by !== null && now > by) {
        this.reported.add(escrowId);
        const record = this.w.store.peek(this.w.tenantId, escrowId);
        const attention = record ? fold(record.terms, record.history).attention : null;
        this.checker.fail(
          attention
            ? "no escrow needs ops after a transient fault"
            : "every escrow reaches its outcome within a reconciliation period",
          escrowId,
          `still ${this.state(escrowId)} at ${new Date(now).toISOString()}, ${Math.round((now - by) / 1000)} s past ${new Date(by).toISOString()}`,
        );
      }
    }
  }

  /**
   * Looks again when the next escrow is due to have moved (a watch on the clock that does not keep it
   * running by itself: it is a "tick", like the reconciler's schedule).
   */
  watch(scheduler: Scheduler): void {
    let next = Number.POSITIVE_INFINITY;
    for (const { escrowId } of this.w.store.refs())
      if (!this.reported.has(escrowId)) next = Math.min(next, this.expectedBy(escrowId) ?? next);
    if (next === Number.POSITIVE_INFINITY) return;
    scheduler.at(
      Math.max(next + 1, scheduler.now + 1),
      "liveness watch",
      () => {
        this.check();
        this.watch(scheduler);
      },
      "tick",
    );
  }

  /**
   * Every escrow has reached its outcome or waits for ops, and nothing runs: what is left is the
   * reconciler looking in on those that wait (finish() judges whether they should).
   */
  settled(): boolean {
    return this.w.workflow.openCount === 0 && this.unsettled().length === 0;
  }

  /** Escrows neither at their outcome, nor waiting for ops, nor already reported stuck. */
  unsettled(): string[] {
    return this.w.store
      .refs()
      .map(({ escrowId }) => escrowId)
      .filter((escrowId) => {
        const record = this.w.store.peek(this.w.tenantId, escrowId);
        if (!record || this.reported.has(escrowId)) return false;
        const s = this.checker.states.advance(record);
        return !TERMINAL.includes(s.status) && s.attention === null;
      });
  }

  /** The latest time an escrow is due to have moved by (to know how long to run on). */
  horizon(): number {
    let latest = this.healedAt;
    for (const { escrowId } of this.w.store.refs())
      latest = Math.max(latest, this.expectedBy(escrowId) ?? latest);
    return latest;
  }

  /** The run stops now: escrows that are not late yet are left unjudged; a late one is a violation (check). */
  cut(): void {
    const now = this.w.now();
    for (const escrowId of this.unsettled())
      if ((this.expectedBy(escrowId) ?? Number.POSITIVE_INFINITY) > now) this.unjudged.add(escrowId);
  }

  /** At the end: outcomes, owed events, executions. */
  finish(evidenceAnswered: ReadonlyMap<string, string[]>): void {
    this.check();
    this.checker.checkRefusedCreations();
    for (const { escrowId } of this.w.store.refs()) {
      if (this.unjudged.has(escrowId)) continue;
      const record = this.w.store.peek(this.w.tenantId, escrowId);
      if (!record) continue;
      const s = fold(record.terms, record.history);
      if (s.attention && s.attention.reason !== "payout_rejected")
        this.checker.fail(
          "no escrow needs ops after a transient fault",
          escrowId,
          `needsOpsAttention (${s.attention.reason}): ${s.attention.detail}`,
        );
      else if (!TERMINAL.includes(s.status) && !s.attention && !this.reported.has(escrowId))
        this.checker.fail(
          "every escrow reaches its outcome within a reconciliation period",
          escrowId,
          `stranded ${this.state(escrowId)}: nothing left to happen would move it (deadline ${s.deadline ?? "none"}, running ${this.w.workflow.runningFor(escrowId).join(", ") || "nothing"}, due mark ${this.w.store.peekDue(this.w.tenantId, escrowId) ?? "none"})`,
        );
      const published = this.w.sns.published.get(escrowId) ?? new Set<string>();
      for (const e of record.history) {
        const type = owedEvent(e);
        if (type && !published.has(`${type}@${e.v}`))
          this.checker.fail(
            "every owed event is published",
            escrowId,
            `${type} for v${e.v} (${e.type}) was never published`,
          );
      }
      for (const id of evidenceAnswered.get(escrowId) ?? [])
        if (!published.has(`evidence ${id}`))
          this.checker.fail(
            "every owed event is published",
            escrowId,
            `escrow.evidence_added for ${id} was never published`,
          );
      const running = this.w.workflow.runningFor(escrowId);
      if (running.length > 0)
        this.checker.fail(
          "no execution is left running",
          escrowId,
          `${running.join(", ")} still running (${s.status})`,
        );
    }
  }

  private state(escrowId: string): string {
    const record = this.w.store.peek(this.w.tenantId, escrowId);
    if (!record) return "missing";
    const s = fold(record.terms, record.history);
    return `${s.status} v${s.version}${s.pending ? ` (${s.pending.action} pending)` : ""}${s.attention ? ` (needs ops: ${s.attention.reason})` : ""}`;
  }
}
