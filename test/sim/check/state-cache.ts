import { type Entry, evolve, initialState } from "../../../functions/domain/escrow";
import type { EscrowState } from "../../../functions/domain/types";
import type { EscrowRecord } from "../../../functions/ports/escrow-store";

/**
 * Each escrow's state, folded once: a history only grows, so the next look
 * applies only the entries appended since the last (what `fold` would give,
 * without folding every escrow from the start after every step).
 */
export class StateCache {
  private readonly states = new Map<string, { applied: number; state: EscrowState }>();

  /** The state, and each new entry with the state right after it (for the checks that look at each). */
  advance(record: EscrowRecord, onEntry?: (entry: Entry, after: EscrowState) => void): EscrowState {
    const id = record.terms.id;
    let cached = this.states.get(id);
    if (!cached) {
      cached = { applied: 0, state: initialState(record.terms) };
      this.states.set(id, cached);
    }
    for (const entry of record.history) {
      if (entry.v <= cached.applied) continue;
      cached.state = evolve(cached.state, entry);
      cached.applied = entry.v;
      onEntry?.(entry, cached.state);
    }
    return cached.state;
  }
}
