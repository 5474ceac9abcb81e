import type { OpsUser } from "../domain/types";

/** An ops note as stored beside its escrow (never in the escrow item, never in an event). */
export interface NoteRecord {
  id: string;
  text: string;
  by: OpsUser;
  at: string;
  /** The escrow's nth note (1–200): its key, so racing additions cannot pass the limit. */
  seq: number;
  /** The request's idempotency tag, so a retry with the same key finds it. */
  idem: string | null;
}

/** One change of who holds the case (API.md v1.2: `ops.history`). */
export interface AssignmentChange {
  at: string;
  type: "assigned";
  by: OpsUser;
  assignee: OpsUser | null;
  /** The request's idempotency tag, so a retry with the same key finds its change. */
  idem?: string;
}

/** What the queue shows of the ops desk beside an escrow. */
export interface DeskSummary {
  assignee: OpsUser | null;
  history: AssignmentChange[];
  evidenceCount: { buyer: number; seller: number };
}

/**
 * The ops desk beside each escrow: notes and who holds the case. Neither is a
 * transition (the escrow's version does not move); both live in items of the
 * escrow's partition, so the escrow item every transition rewrites stays small.
 */
export interface OpsDeskStore {
  /** Adds a note at its `seq`; false when that number is taken (another addition won). */
  addNote(tenantId: string, escrowId: string, note: NoteRecord): Promise<boolean>;
  /** The escrow's notes, oldest first. */
  listNotes(tenantId: string, escrowId: string): Promise<NoteRecord[]>;
  /** Records who holds the case now (the last writer wins), keeping the last `keep` changes. */
  assign(tenantId: string, escrowId: string, change: AssignmentChange, keep: number): Promise<void>;
  /** The assignment and the evidence counted per party from the evidence itself, in one read (the ops view). */
  summary(tenantId: string, escrowId: string): Promise<DeskSummary>;
  /**
   * The desks of many escrows in one read (the queue): the assignment, and the evidence counts the
   * desk keeps (see countEvidence). Escrows without a desk are absent.
   */
  summaries(tenantId: string, escrowIds: readonly string[]): Promise<Map<string, DeskSummary>>;
  /**
   * The party's nth piece of evidence is stored: the desk's count for the party becomes n if it was
   * less (pieces are numbered from 1 without gaps, so the highest number is the count; a repeat or a
   * late, lower number changes nothing).
   */
  countEvidence(tenantId: string, escrowId: string, by: "buyer" | "seller", seq: number): Promise<void>;
}
