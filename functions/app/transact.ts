import { ConcurrentUpdateError, DependencyUnavailableError, NotFoundError } from "../domain/errors";
import { apply, type Entry, type EntryDraft, fold } from "../domain/escrow";
import { ledgerViolations } from "../domain/ledger";
import type { EscrowState } from "../domain/types";
import type { EscrowRecord, EscrowStore } from "../ports/escrow-store";
import { pauseBeforeRetry } from "./pause";
import { OutcomeUnknownError } from "./write-outcome";

export interface EscrowRef {
  tenantId: string;
  escrowId: string;
}

export interface StoreDeps {
  store: EscrowStore;
  now: () => Date;
}

/** Conditional-write attempts before giving up on a hot escrow. */
const MAX_ATTEMPTS = 8;

/** What `decide` answers: an entry to append, or that there is nothing to write (with the answer). */
export type Decision<T> = { append: EntryDraft; idem?: string } | { done: T };

export interface Appended {
  record: EscrowRecord;
  entry: Entry;
  state: EscrowState;
}

export async function load(deps: StoreDeps, ref: EscrowRef): Promise<EscrowRecord> {
  const record = await deps.store.escrows.get(ref.tenantId, ref.escrowId);
  if (!record) throw new NotFoundError();
  return record;
}

/**
 * The one read–decide–append loop: reads the record, decides against its
 * fold, checks the ledger of the result and appends one entry conditioned on
 * the version read; when another write won, reads and decides again.
 */
export async function transact<T>(
  deps: StoreDeps,
  ref: EscrowRef,
  decide: (state: EscrowState, record: EscrowRecord, now: Date) => Promise<Decision<T>> | Decision<T>,
): Promise<{ done: T } | Appended> {
  for (let attempt = 1; ; attempt++) {
    const record = await load(deps, ref);
    const state = fold(record.terms, record.history);
    const now = deps.now();
    const decided = await decide(state, record, now);
    if ("done" in decided) return decided;
    const { entry, state: next } = apply(state, decided.append, now, decided.idem);
    const broken = ledgerViolations(next);
    if (broken.length > 0) throw new Error(`refusing to write a broken ledger: ${broken.join("; ")}`);
    const result = await deps.store.escrows.append(record, entry, state, next);
    if (result === "conflict") {
      if (attempt < MAX_ATTEMPTS) continue;
      throw new ConcurrentUpdateError();
    }
    if (result === "unknown") {
      // The write's answer was lost: it may have landed. If the entry at its version is the same, it is
      // ours. (Only then: after a refused condition, an equal entry is another request's — two equal
      // requests in the same millisecond — and this one must be decided again.)
      const back = await readBack(deps, ref);
      const landed = back.history.find((e) => e.v === entry.v);
      if (landed && canonical(landed) === canonical(entry))
        return { record: back, entry: landed, state: fold(back.terms, back.history, landed.v) };
      if (attempt < MAX_ATTEMPTS) continue;
      throw new DependencyUnavailableError("the escrow store");
    }
    // The marks as the write left them (it confirms a creation and ends a parked wait; `mv` is unchanged).
    const marks = record.marks ? { ...record.marks, provisional: false, parked: false } : undefined;
    return {
      record: { terms: record.terms, history: [...record.history, entry], ...(marks ? { marks } : {}) },
      entry,
      state: next,
    };
  }
}

/**
 * Reads the record again after a lost answer, a few times with back-off while
 * the read fails (about 3 s); if it cannot be read, whether the write landed
 * is unknown: OutcomeUnknownError (a 500 asking for a retry with the same key,
 * never a 503, which promises that nothing changed).
 */
async function readBack(deps: StoreDeps, ref: EscrowRef): Promise<EscrowRecord> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await load(deps, ref);
    } catch (error) {
      if (error instanceof NotFoundError) throw error;
      if (attempt >= READ_BACK_ATTEMPTS - 1)
        throw new OutcomeUnknownError(
          `escrow ${ref.escrowId}: a write whose answer was lost could not be read back (${String(error)})`,
        );
      await pauseBeforeRetry(attempt);
    }
  }
}

/** Read-back attempts after a lost answer (100 ms doubling: about 3 s in all). */
const READ_BACK_ATTEMPTS = 6;

/** JSON with object keys sorted: DynamoDB does not keep the order of a map's attributes. */
const canonical = (value: unknown): string =>
  value !== null && typeof value === "object" && !Array.isArray(value)
    ? `{${Object.keys(value)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
        .join(",")}}`
    : Array.isArray(value)
      ? `[${value.map(canonical).join(",")}]`
      : (JSON.stringify(value) ?? "null");
