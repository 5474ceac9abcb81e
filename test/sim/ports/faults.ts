import type { Random } from "../kernel/random";

/**
 * What can go wrong with a dependency, the way it goes wrong in AWS: a call
 * that fails with no effect (a 5xx, throttling), one that takes effect but
 * whose answer is lost (a timeout after the write), one applied twice (an
 * SDK retry of a call whose first answer was lost), one whose answer comes
 * late, and for task Lambdas a crash before, during or after the code runs.
 * Rates are drawn per seed (as VOPR does); outages switch a fault on for a
 * while, on one target or several at once.
 */

export type Target = "dynamodb" | "stepfunctions" | "sns" | "payments" | "lambda";
export const TARGETS: readonly Target[] = ["dynamodb", "stepfunctions", "sns", "payments", "lambda"];

export type FaultKind =
  /** No effect; the call fails (5xx, connection reset). */
  | "error"
  /** No effect; throttled. */
  | "throttle"
  /** The effect lands; the caller sees a timeout. */
  | "ambiguous"
  /** The effect lands twice (a retried call whose first answer was lost); the caller sees the second answer. */
  | "duplicate"
  /** The effect lands; the answer takes seconds (past a Lambda's timeout, sometimes). */
  | "slow"
  /** Lambda only: the invocation dies at one of its calls (that call may or may not land). */
  | "crash";

/** The faults each target can show (a duplicate only where a call can be repeated harmlessly by its caller's SDK). */
export const KINDS_OF: Readonly<Record<Target, readonly FaultKind[]>> = {
  dynamodb: ["error", "throttle", "ambiguous", "slow"],
  stepfunctions: ["error", "throttle", "ambiguous", "duplicate", "slow"],
  sns: ["error", "throttle", "ambiguous", "duplicate", "slow"],
  payments: ["error", "ambiguous", "slow"],
  lambda: ["error", "throttle", "crash"],
};

export interface Outage {
  id: number;
  target: Target;
  /** Only this operation (e.g. "UpdateItem", "payout"), or every operation of the target. */
  operation: string | null;
  kind: FaultKind;
  /** Of the calls it covers, the share that fail (an outage is rarely total). */
  probability: number;
  start: number;
  end: number;
}

export type Rates = Record<Target, Partial<Record<FaultKind, number>>>;

export class FaultPlan {
  healed = false;
  /** Knobs a shrink turns off: `target.kind` for a rate, `outage.<id>` for an outage. */
  readonly disabled = new Set<string>();
  /** Faults injected, by `target.kind` (the run's coverage of what can go wrong). */
  readonly injected = new Map<string, number>();

  constructor(
    readonly rates: Rates,
    readonly outages: Outage[],
    private readonly random: Random,
  ) {}

  /** The fault this call meets now, if any. */
  decide(target: Target, operation: string, write: boolean, now: number): FaultKind | null {
    if (this.healed) return null;
    for (const o of this.outages) {
      if (o.start > now || o.end <= now || this.disabled.has(`outage.${o.id}`)) continue;
      if (o.target !== target || (o.operation !== null && o.operation !== operation)) continue;
      if (!applies(o.kind, write)) continue;
      if (this.random.chance(o.probability)) return this.count(target, o.kind);
    }
    const rates = this.rates[target];
    for (const kind of KINDS_OF[target]) {
      const rate = rates[kind] ?? 0;
      if (
        rate > 0 &&
        applies(kind, write) &&
        !this.disabled.has(`${target}.${kind}`) &&
        this.random.chance(rate)
      )
        return this.count(target, kind);
    }
    return null;
  }

  private count(target: Target, kind: FaultKind): FaultKind {
    const k = `${target}.${kind}`;
    this.injected.set(k, (this.injected.get(k) ?? 0) + 1);
    return kind;
  }

  /** Outages active at `now` (for the trace). */
  activeAt(now: number): Outage[] {
    return this.healed ? [] : this.outages.filter((o) => o.start <= now && now < o.end);
  }
}

/** A lost answer or a repeat only makes sense for a call that changes something. */
const applies = (kind: FaultKind, write: boolean) => write || (kind !== "ambiguous" && kind !== "duplicate");
