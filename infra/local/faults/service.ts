import { randomUUID } from "node:crypto";
import type { FaultMode, FaultPoint, FaultTarget } from "../../../functions/adapters/local-hooks";

/**
 * The fault registry of `/_local/faults` (API.md, "Local mode additions";
 * ARCHITECTURE.md v1.1 decision 7): one place in front of every dependency.
 * Each rule fails a target's calls (all, or one operation) with a
 * probability until it expires. The local endpoints and adapters ask
 * `check(target, operation)` before they act; the DynamoDB rules are pushed
 * to the store's process, which applies them itself (dynamo/faults.ts).
 */

export const FAULT_TARGETS = ["stepfunctions", "sns", "lambda", "dynamodb", "payments"] as const;
export const FAULT_MODES = ["error", "ambiguous", "refused"] as const;
/** `ambiguous` (took effect, the caller sees a timeout) only where a call can take effect unseen. */
export const AMBIGUOUS_TARGETS: readonly FaultTarget[] = ["payments", "dynamodb"];
/**
 * `refused` (API.md v1.2): the provider declines a movement for good. Only the movements a provider
 * can decline with a named outcome the workflow handles: a hold (declined: the escrow is cancelled)
 * and a payout (rejected: the escrow needs ops, `payout_rejected`). A fee or refund refused after
 * the payout went would leave a settlement half made, which no provider answer in the model means.
 */
export const REFUSABLE_OPERATIONS = ["hold", "payout"] as const;

export interface FaultSpec {
  target: FaultTarget;
  operation?: string;
  mode: FaultMode;
  /** 0–1, default 1. */
  probability?: number;
  /** How long the rule lasts. */
  seconds: number;
}

export interface FaultRule {
  id: string;
  target: FaultTarget;
  operation?: string;
  mode: FaultMode;
  probability: number;
  /** Epoch ms. */
  until: number;
}

export class FaultService implements FaultPoint {
  private readonly rules = new Map<string, FaultRule>();
  private readonly listeners = new Set<() => void>();
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(options: { now?: () => number; random?: () => number } = {}) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  add(spec: FaultSpec): FaultRule {
    const rule: FaultRule = {
      id: `flt_${randomUUID().replaceAll("-", "").slice(0, 20)}`,
      target: spec.target,
      ...(spec.operation !== undefined ? { operation: spec.operation } : {}),
      mode: spec.mode,
      probability: spec.probability ?? 1,
      until: this.now() + spec.seconds * 1000,
    };
    this.rules.set(rule.id, rule);
    this.changed();
    return { ...rule };
  }

  /** The rules in force, oldest first (expired ones are dropped). */
  list(target?: FaultTarget): FaultRule[] {
    const now = this.now();
    for (const [id, rule] of this.rules) if (rule.until <= now) this.rules.delete(id);
    return [...this.rules.values()].filter((r) => !target || r.target === target).map((r) => ({ ...r }));
  }

  get(id: string): FaultRule | undefined {
    return this.list().find((r) => r.id === id);
  }

  /** Ends a rule early; false when no such rule is in force. */
  remove(id: string): boolean {
    const known = this.get(id) !== undefined;
    if (known) {
      this.rules.delete(id);
      this.changed();
    }
    return known;
  }

  clear(): void {
    const had = this.rules.size > 0;
    this.rules.clear();
    if (had) this.changed();
  }

  /**
   * Whether this call fails now, and how: the mode of the first rule in force
   * for the target (and operation, when the rule names one) whose probability
   * draw hits; null when the call goes through.
   */
  check(target: FaultTarget, operation: string): FaultMode | null {
    for (const rule of this.list(target)) {
      if (rule.operation !== undefined && rule.operation !== operation) continue;
      if (this.random() < rule.probability) return rule.mode;
    }
    return null;
  }

  /** Calls `listener` after every change of the rules (not on expiry: a rule carries its own `until`). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
