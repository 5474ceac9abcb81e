import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { MAX_TIMER_MS, type Timer } from "../step-functions/timers";

/**
 * The local service's clock (API.md v1.2, "A clock that local users move";
 * ARCHITECTURE.md v1.2 decision 8). Everything about escrows reads it: the
 * functions' `now`, the workflow's wait deadlines, the reconciler, the SNS
 * timestamps, the sandbox ledger, the TTL sweeper. It runs with real time plus
 * an offset that only grows and is kept on disk, so a restart carries it on.
 *
 * Moving it is done in steps, as if the time had passed: the clock goes to the
 * next thing that comes due (a wait's deadline, a reconciler mark), fires it,
 * lets the service settle (the workflow, the functions and the reconciler all
 * idle), and goes on to the next, until it reaches the target. So a lease that
 * ends moves the escrow on at the lease's end, and the claim window that this
 * opens ends fourteen days later, inside the same move, not fourteen days
 * after the move.
 */

export interface AdvanceHooks {
  /** The soonest time (epoch ms) after `after` at which a reconciler mark comes due, or null. */
  nextMark(after: number): Promise<number | null>;
  /** Whether a mark is due at or before `at` (so the reconciler has work now). */
  markDue(at: number): Promise<boolean>;
  /** Runs the reconciler once and waits for it. */
  reconcile(): Promise<void>;
  /** Whether the service has settled: no function running, no workflow between waits, no reconciler run. */
  idle(): boolean;
}

export interface AdvanceResult {
  now: string;
  offsetSeconds: number;
  /** Deadlines and marks that came due during the move, in order. */
  steps: number;
  /** False when the service had not settled within the time allowed after some step. */
  settled: boolean;
}

interface Entry {
  at: number;
  fire: () => void;
  handle?: NodeJS.Timeout;
  done: boolean;
}

/** How long a step waits for the service to settle before going on (work that never ends, e.g. an outage). */
const SETTLE_LIMIT_MS = 10_000;
/** Consecutive idle probes, this far apart, that count as settled. */
const SETTLE_PROBES = 3;
const SETTLE_PROBE_MS = 5;
/** A move never takes more steps than this (a wait that re-arms itself at once would loop). */
const MAX_STEPS = 10_000;

export class ServiceClock {
  private offsetMs = 0;
  private readonly entries = new Set<Entry>();
  private moving: Promise<unknown> = Promise.resolve();

  constructor(
    /** Where the offset is kept (JSON); none: in memory only. */
    private readonly file?: string,
    private readonly realNow: () => number = Date.now,
  ) {
    if (file && existsSync(file)) {
      const saved = JSON.parse(readFileSync(file, "utf8")) as { offsetMs?: unknown };
      if (typeof saved.offsetMs === "number" && Number.isFinite(saved.offsetMs) && saved.offsetMs >= 0)
        this.offsetMs = saved.offsetMs;
    }
  }

  /** The service's time, epoch ms. */
  readonly now = (): number => this.realNow() + this.offsetMs;

  get offsetSeconds(): number {
    return Math.floor(this.offsetMs / 1000);
  }

  view(): { now: string; offsetSeconds: number } {
    return { now: new Date(this.now()).toISOString(), offsetSeconds: this.offsetSeconds };
  }

  /** Fires `fire` once the service's time reaches `at` — by real time passing or by a move of the clock. */
  timerAt(at: number, fire: () => void): Timer {
    const entry: Entry = { at, fire, done: false };
    this.entries.add(entry);
    this.arm(entry);
    return {
      cancel: () => {
        entry.done = true;
        clearTimeout(entry.handle);
        this.entries.delete(entry);
      },
    };
  }

  /**
   * Moves the clock forward by `seconds`, step by step (see above), and
   * resolves once the service has settled at the new time. Moves are taken one
   * after another.
   */
  advance(seconds: number, hooks: AdvanceHooks): Promise<AdvanceResult> {
    const run = this.moving.then(() => this.move(seconds, hooks));
    this.moving = run.catch(() => {});
    return run;
  }

  /** Ends every timer (the service is stopping). */
  close(): void {
    for (const e of this.entries) clearTimeout(e.handle);
    this.entries.clear();
  }

  private async move(seconds: number, hooks: AdvanceHooks): Promise<AdvanceResult> {
    const startOffset = this.offsetMs;
    const from = this.now();
    const target = from + seconds * 1000;
    let steps = 0;
    let settled = await this.settle(hooks);
    while (steps < MAX_STEPS) {
      const now = this.now();
      const timer = this.soonestTimer();
      const mark = await hooks.nextMark(now);
      const next = Math.min(timer ?? Number.POSITIVE_INFINITY, mark ?? Number.POSITIVE_INFINITY);
      if (!Number.isFinite(next) || next > target) break;
      // Jump to it (never back: real time may already be past it), fire it, let the service settle.
      if (next > now) this.setOffset(startOffset + (next - from));
      steps++;
      settled = (await this.fireDue(hooks)) && settled;
    }
    this.setOffset(startOffset + seconds * 1000);
    settled = (await this.fireDue(hooks)) && settled;
    return { ...this.view(), steps, settled };
  }

  /** Fires the timers that are due, soonest first, and runs the reconciler if a mark is due; then settles. */
  private async fireDue(hooks: AdvanceHooks): Promise<boolean> {
    const now = this.now();
    const due = [...this.entries].filter((e) => !e.done && e.at <= now).sort((a, b) => a.at - b.at);
    for (const e of due) this.fireEntry(e);
    if (await hooks.markDue(now)) await hooks.reconcile();
    return this.settle(hooks);
  }

  private async settle(hooks: AdvanceHooks): Promise<boolean> {
    const giveUpAt = this.realNow() + SETTLE_LIMIT_MS;
    let quiet = 0;
    while (quiet < SETTLE_PROBES) {
      await new Promise((resolve) => setTimeout(resolve, SETTLE_PROBE_MS));
      quiet = hooks.idle() && this.soonestDueTimer() === undefined ? quiet + 1 : 0;
      if (this.realNow() > giveUpAt) return false;
    }
    return true;
  }

  private soonestTimer(): number | undefined {
    let soonest: number | undefined;
    for (const e of this.entries) if (!e.done && (soonest === undefined || e.at < soonest)) soonest = e.at;
    return soonest;
  }

  private soonestDueTimer(): number | undefined {
    const t = this.soonestTimer();
    return t !== undefined && t <= this.now() ? t : undefined;
  }

  private setOffset(offsetMs: number): void {
    if (offsetMs <= this.offsetMs) return;
    this.offsetMs = offsetMs;
    if (this.file) {
      mkdirSync(dirname(this.file), { recursive: true });
      writeFileSync(`${this.file}.tmp`, JSON.stringify({ offsetMs }));
      renameSync(`${this.file}.tmp`, this.file);
    }
    // Every timer's real delay changed.
    for (const e of this.entries) this.arm(e);
  }

  private arm(entry: Entry): void {
    clearTimeout(entry.handle);
    if (entry.done) return;
    const delay = Math.max(0, Math.min(entry.at - this.now(), MAX_TIMER_MS));
    entry.handle = setTimeout(() => {
      if (entry.at <= this.now()) this.fireEntry(entry);
      else this.arm(entry);
    }, delay);
  }

  private fireEntry(entry: Entry): void {
    if (entry.done) return;
    entry.done = true;
    clearTimeout(entry.handle);
    this.entries.delete(entry);
    entry.fire();
  }
}
