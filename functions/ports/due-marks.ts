import type { EscrowMarks } from "../domain/reconciliation";

export type { EscrowMarks } from "../domain/reconciliation";

/** An escrow the reconciler should look at now: one of its due marks. */
export interface DueEscrow {
  tenantId: string;
  escrowId: string;
  due: string;
}

/** A page of due marks of one shard, soonest first, and where the next page starts (null: none). */
export interface DuePage {
  items: DueEscrow[];
  next: string | null;
}

/** The reconciler's marks on each escrow, and the sharded due index it pages through (never a scan). */
export interface DueMarks {
  /**
   * Changes the reconciler's marks of the escrow as read (`version` and `mv`
   * unchanged since): false when the escrow or its marks moved meanwhile.
   */
  set(
    tenantId: string,
    escrowId: string,
    read: { version: number; mv: number },
    change: Partial<Omit<EscrowMarks, "mv">>,
  ): Promise<boolean>;
  /**
   * Asks the reconciler to look at the escrow now (`at`), for what `flags`
   * say: a step the workflow may not have been handed, an event or a piece of
   * evidence that may not be published. Not a transition; never refused.
   */
  requestVisit(
    tenantId: string,
    escrowId: string,
    at: string,
    flags: Partial<Pick<EscrowMarks, "requested" | "owed" | "evidenceOwed">> & {
      /** The same write confirms a new escrow's creation (`confirm`). */
      confirm?: true;
    },
  ): Promise<void>;
  /** A page of shard `shard`'s marks due by `now`, soonest first. */
  listDue(shard: number, now: string, limit: number, start?: string | null): Promise<DuePage>;
  /** How many shards the due index has (the reconciler reads them all, in parallel). */
  readonly dueShards: number;
  /** The soonest mark later than `after`, or null (the local runtime wakes the reconciler for it). */
  nextDue(after: string): Promise<string | null>;
  /** Removes a creation that was never confirmed (still provisional, at version 1); false when it moved on. */
  dropUnconfirmed(tenantId: string, escrowId: string): Promise<boolean>;
}
