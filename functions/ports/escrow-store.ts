import type { Entry } from "../domain/escrow";
import type { EscrowState, EscrowStatus, EscrowTerms, EvidenceItem } from "../domain/types";

/** What is stored of an escrow: its terms and its history (the state is their fold). */
export interface EscrowRecord {
  terms: EscrowTerms;
  history: Entry[];
}

/**
 * Where the escrow's workflow is: the task token of its current wait and the
 * last version it had seen when the wait began, or the wait parked in the
 * record (no execution); which events it has published, and from which
 * version on they are owed.
 */
export interface WaitRecord {
  /** null once the wait is parked. */
  token: string | null;
  seenVersion: number;
  since: string;
  /** The execution the escrow's workflow runs in (or last ran in). */
  execution: string;
  parked: boolean;
  /** The highest version whose event has been published. */
  published: number;
  /** The lowest version whose event may not have been published, else null. */
  owedFrom: number | null;
  /** When the reconciler should look: a parked wait's deadline, a reminder's time, or now when an event is owed. */
  due: string | null;
  /** The deadline whose reminder has been published (one reminder per deadline). */
  reminded: string | null;
}

/** A piece of evidence as stored beside its escrow (never in the escrow item, which every transition rewrites). */
export interface EvidenceRecord extends EvidenceItem {
  /** The party's nth item (1–20): the key, so two parties' racing additions cannot pass the limit. */
  seq: number;
  /** The escrow's version when it was added: where it stands in the history, and the event's escrow. */
  version: number;
  /** The request's idempotency tag, so a retry with the same key finds it. */
  idem: string | null;
  /** Set until its event is published (the reconciler publishes it then). */
  due: string | null;
}

/** An escrow the reconciler should look at now. */
export interface DueEscrow {
  tenantId: string;
  escrowId: string;
  /**
   * Which of its items are due: the escrow item (taking the hold, settling, an owed outcome), its wait
   * (a parked deadline, a reminder, an owed event) or a piece of evidence whose event is owed.
   */
  items: ("escrow" | "wait" | "evidence")[];
}

/** A completed idempotent request: enough to answer it again. */
export interface IdempotencyRecord {
  requestHash: string;
  escrowId: string;
  version: number;
  statusCode: number;
  /** What a request that created something else than the escrow made (a piece of evidence). */
  resourceId?: string;
  expiresAt: number;
}

export interface ListFilter {
  buyerId?: string;
  sellerId?: string;
  status?: EscrowStatus;
  needsOpsAttention?: boolean;
  /** Read the ops queue (DISPUTED or needsOpsAttention, soonest deadline first) instead of all escrows. */
  opsQueue?: boolean;
  limit: number;
  cursor?: string;
  /**
   * A further filter that reads beside the escrows (the ops desk's assignee): told each index
   * page's escrows at once, it answers which to keep, in order.
   */
  accept?: (records: EscrowRecord[]) => Promise<boolean[]>;
}

/** A handover code as stored: never the code, only its salted hash. */
export interface HandoverRecord {
  /** Tells one issued code from the next (a new code replaces the item). */
  id: string;
  salt: string;
  hash: string;
  expiresAt: string;
  wrong: number;
  used: boolean;
}

export interface EscrowStore {
  get(tenantId: string, escrowId: string): Promise<EscrowRecord | null>;
  /** Writes a new escrow; false when one with this id already exists. */
  create(record: EscrowRecord, state: EscrowState): Promise<boolean>;
  /**
   * Appends one entry with a single conditional write on the version the
   * caller read (`previous` is the escrow as read, `next` after the entry);
   * throws ConcurrentUpdateError when the escrow moved on.
   */
  append(record: EscrowRecord, entry: Entry, previous: EscrowState, next: EscrowState): Promise<void>;
  list(tenantId: string, filter: ListFilter): Promise<{ items: EscrowRecord[]; nextCursor: string | null }>;
  putWait(tenantId: string, escrowId: string, wait: WaitRecord): Promise<void>;
  getWait(tenantId: string, escrowId: string): Promise<WaitRecord | null>;
  /**
   * Asks the reconciler to look at the escrow by `due` (an index attribute of
   * the escrow item; not a transition, so the version does not change).
   */
  markDue(tenantId: string, escrowId: string, due: string): Promise<void>;
  /** Removes the reconciler's marks (escrow and wait) that are not later than `upTo`. */
  clearDue(tenantId: string, escrowId: string, upTo: string): Promise<void>;
  /**
   * The escrow has ended: its wait item's mark (a reminder of a wait that ended early) goes, unless
   * the wait still owes an event.
   */
  clearWaitMark(tenantId: string, escrowId: string): Promise<void>;
  /** Escrows whose escrow or wait item is due by `now`, soonest first (through the due index, never a scan). */
  listDue(now: string, limit: number): Promise<DueEscrow[]>;
  /** The soonest mark later than `after`, or null (the local runtime wakes the reconciler for it). */
  nextDue(after: string): Promise<string | null>;
  /** Adds a piece of evidence at its party's `seq`; false when that number is taken (another addition won). */
  addEvidence(tenantId: string, escrowId: string, evidence: EvidenceRecord): Promise<boolean>;
  /** The escrow's evidence, both parties', in no particular order. */
  listEvidence(tenantId: string, escrowId: string): Promise<EvidenceRecord[]>;
  /** The evidence's event is published: its mark goes. */
  evidencePublished(
    tenantId: string,
    escrowId: string,
    evidence: Pick<EvidenceRecord, "by" | "seq">,
  ): Promise<void>;
  /** The reconciler's own bookmark (when it last looked at failed executions). */
  getCheckpoint(): Promise<string | null>;
  putCheckpoint(at: string): Promise<void>;
  /** Replaces the escrow's handover code (a new one voids the old). */
  putHandover(tenantId: string, escrowId: string, record: HandoverRecord): Promise<void>;
  getHandover(tenantId: string, escrowId: string): Promise<HandoverRecord | null>;
  /**
   * Changes the code `id` as read (`wrong` attempts so far): a wrong attempt
   * counted, or the code used. False when it changed meanwhile (another
   * attempt, or a new code).
   */
  updateHandover(
    tenantId: string,
    escrowId: string,
    read: Pick<HandoverRecord, "id" | "wrong">,
    change: { wrong: number } | { used: true },
  ): Promise<boolean>;
  getIdempotency(tenantId: string, keyHash: string): Promise<IdempotencyRecord | null>;
  putIdempotency(tenantId: string, keyHash: string, record: IdempotencyRecord): Promise<void>;
}
