import type { FaultMode } from "../../../functions/adapters/local-hooks";

/**
 * The DynamoDB faults as the metering proxy applies them, in the store's
 * process: the main process keeps the registry (`/_local/faults`) and pushes
 * the active `dynamodb` rules here whenever they change; each rule's
 * probability is drawn here, per request, and a rule past its `until` no
 * longer applies.
 */
export interface DynamoFaultRule {
  id: string;
  /** The X-Amz-Target operation (GetItem, PutItem, UpdateItem, Query...); every operation when absent. */
  operation?: string;
  mode: FaultMode;
  probability: number;
  /** Epoch ms. */
  until: number;
}

/** The writes an `ambiguous` fault applies to (a read has no effect to lose). */
export const DYNAMO_WRITES = new Set([
  "PutItem",
  "UpdateItem",
  "DeleteItem",
  "BatchWriteItem",
  "TransactWriteItems",
]);

export class DynamoFaults {
  private rules: DynamoFaultRule[] = [];
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(options: { now?: () => number; random?: () => number } = {}) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  set(rules: DynamoFaultRule[]): void {
    this.rules = rules.map((r) => ({ ...r }));
  }

  list(): DynamoFaultRule[] {
    const now = this.now();
    return this.rules.filter((r) => r.until > now);
  }

  /** What happens to a request for `operation`: a fault's mode, or null when it goes through. */
  check(operation: string): FaultMode | null {
    for (const rule of this.list()) {
      if (rule.operation !== undefined && rule.operation !== operation) continue;
      if (rule.mode === "ambiguous" && !DYNAMO_WRITES.has(operation)) continue;
      if (this.random() < rule.probability) return rule.mode;
    }
    return null;
  }
}
