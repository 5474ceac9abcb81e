import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { type Movement, movementOf, type SandboxLedger } from "../../../functions/adapters/local-hooks";
import { JsonLinesLog } from "../json-lines-log";

/**
 * The sandbox payment provider's own ledger (API.md, "Local mode additions";
 * ARCHITECTURE.md v1.1 decision 4): every movement the provider made, so
 * tests can hold the escrow's record to it. Idempotent per key — a movement
 * repeated with its key is recorded once and the repeat gets the first
 * record back (`recorded: false`) — and durable: an append-only log under
 * `dataDir/payments/`, acknowledged once on disk (survives a restart and a
 * SIGKILL).
 */

export interface LedgerEntry extends Movement {
  id: string;
  /** ISO 8601. */
  at: string;
}

/** What `/_local/payments` shows of an entry. */
export type LedgerItem = Pick<LedgerEntry, "id" | "escrowId" | "type" | "amount" | "key" | "at">;

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A ULID: 48 bits of time then 80 random bits, in Crockford base 32 (ids sort by time). */
export function ulid(now: number): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(16);
  let random = "";
  for (let i = 0; i < 16; i++) random += CROCKFORD[(bytes[i] as number) % 32];
  return time + random;
}

export class LocalPaymentLedger implements SandboxLedger {
  private readonly now: () => number;
  private readonly log: JsonLinesLog<LedgerEntry>;
  private readonly entries: LedgerEntry[] = [];
  private readonly byKey = new Map<string, LedgerEntry>();
  private readonly ready: Promise<void>;
  /** Records are taken one at a time, so two concurrent movements with one key are recorded once. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly options: {
      dataDir: string;
      now?: () => number;
      onError?: (message: string, error: unknown) => void;
    },
  ) {
    this.now = options.now ?? Date.now;
    this.log = new JsonLinesLog(
      join(options.dataDir, "payments", "ledger.ndjson"),
      (m, e) => this.report(m, e),
      () => new Error("the payment ledger is closed"),
    );
    this.ready = this.log.open().then((entries) => {
      for (const entry of entries) this.remember(entry);
    });
    this.ready.catch(() => {});
  }

  record(movement: Movement): Promise<{ id: string; at: string; recorded: boolean }> {
    const next = this.queue.then(() => this.recordNow(movement));
    this.queue = next.catch(() => {});
    return next;
  }

  /**
   * The amount of the hold recorded with this key that no void has let go of
   * (0 once voided); undefined when no hold has this key. A void names no
   * hold, so voids are matched to the escrow's holds of the same amount,
   * oldest first.
   */
  async heldAmount(holdKey: string): Promise<number | undefined> {
    await this.ready;
    const hold = this.byKey.get(holdKey);
    if (hold?.type !== "hold") return undefined;
    const same = (e: LedgerEntry) => e.escrowId === hold.escrowId && e.amount === hold.amount;
    const holds = this.entries.filter((e) => e.type === "hold" && same(e));
    const voids = this.entries.filter((e) => e.type === "void" && same(e)).length;
    return holds.indexOf(hold) < voids ? 0 : hold.amount;
  }

  /** The movements, oldest first; one escrow's when `escrowId` is given. */
  async list(filter: { escrowId?: string } = {}): Promise<{ items: LedgerItem[] }> {
    await this.ready;
    const items = this.entries
      .filter((e) => filter.escrowId === undefined || e.escrowId === filter.escrowId)
      .map(({ id, escrowId, type, amount, key, at }) => ({ id, escrowId, type, amount, key, at }));
    return { items };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.ready.catch(() => {});
    await this.queue;
    await this.log.close();
  }

  private async recordNow(m: Movement): Promise<{ id: string; at: string; recorded: boolean }> {
    if (this.closed) throw new Error("the payment ledger is closed");
    await this.ready;
    const known = this.byKey.get(m.key);
    if (known) {
      if (known.escrowId !== m.escrowId || known.type !== m.type || known.amount !== m.amount)
        this.report(
          `movement key ${m.key} repeated with other terms (first: ${known.type} ${known.amount} for ${known.escrowId}); the first stands`,
          new Error("idempotency key reused"),
        );
      return { id: known.id, at: known.at, recorded: false };
    }
    if (!Number.isSafeInteger(m.amount) || m.amount < 0)
      throw new Error(`a movement amount is an integer of minor units, got ${m.amount}`);
    const now = this.now();
    const entry: LedgerEntry = { id: `pay_${ulid(now)}`, ...movementOf(m), at: new Date(now).toISOString() };
    await this.log.append(entry);
    this.remember(entry);
    return { id: entry.id, at: entry.at, recorded: true };
  }

  private remember(entry: LedgerEntry): void {
    if (this.byKey.has(entry.key)) return;
    this.byKey.set(entry.key, entry);
    this.entries.push(entry);
  }

  private report(message: string, error: unknown): void {
    if (this.options.onError) this.options.onError(message, error);
    else console.error(`[local-payments] ${message}:`, error);
  }
}
