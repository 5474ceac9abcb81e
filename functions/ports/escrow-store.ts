import type { Entry } from "../domain/escrow";
import type { EscrowMarks } from "../domain/reconciliation";
import type { EscrowState, EscrowStatus, EscrowTerms, EvidenceItem } from "../domain/types";

export type { EscrowMarks } from "../domain/reconciliation";

/**
 * What is stored of an escrow: its terms and its history (the state is their
 * fold), and the reconciler's marks beside them (none when not read: a record
 * built in memory).
 */
export interface EscrowRecord {
  terms: EscrowTerms;
  history: Entry[];
  marks?: EscrowMarks;
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
  /** Every event up to this version has been published. */
  published: number;
}

/** A piece of evidence as stored beside its escrow (never in the escrow item, which every transition rewrites). */
export interface EvidenceRecord extends EvidenceItem {
  /** The party's nth item (1–20): the key, so two parties' racing additions cannot pass the limit. */
  seq: number;
  /** The escrow's version when it was added: where it stands in the history, and the event's escrow. */
  version: number;
  /** The request's idempotency tag, so a retry with the same key finds it. */
  idem: string | null;
  /** Its event may not have been published yet (the reconciler publishes it then). */
  unpublished: boolean;
}

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
   * Appends one entry with a single conditional write on the version and the
   * marks the caller read (`previous` is the escrow as read, `next` after the
   * entry); the due mark follows (`dueOf`); throws ConcurrentUpdateError when
   * the escrow or its marks moved on.
   */
  append(record: EscrowRecord, entry: Entry, previous: EscrowState, next: EscrowState): Promise<void>;
  list(tenantId: string, filter: ListFilter): Promise<{ items: EscrowRecord[]; nextCursor: string | null }>;
  putWait(tenantId: string, escrowId: string, wait: WaitRecord): Promise<void>;
  getWait(tenantId: string, escrowId: string): Promise<WaitRecord | null>;
  /** Every event up to `version` is published (the wait item remembers; a lower watermark never replaces a higher). */
  setPublished(tenantId: string, escrowId: string, version: number): Promise<void>;
  /**
   * Changes the reconciler's marks of the escrow as read (`version` and `mv`
   * unchanged since): false when the escrow or its marks moved meanwhile.
   */
  setMarks(
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
  /** A page of shard `shard`'s marks due by `now`, soonest first (the due index, never a scan). */
  listDue(shard: number, now: string, limit: number, start?: string | null): Promise<DuePage>;
  /** How many shards the due index has (the reconciler reads them all, in parallel). */
  readonly dueShards: number;
  /** The soonest mark later than `after`, or null (the local runtime wakes the reconciler for it). */
  nextDue(after: string): Promise<string | null>;
  /** A new escrow's creation is answered (201): it becomes readable. */
  confirm(tenantId: string, escrowId: string): Promise<void>;
  /**
   * Makes a creation provisional again while it is still at version 1: its
   * request answers 503 after its confirmations failed (one may have landed
   * unseen). Does nothing once it moved on.
   */
  unconfirm(tenantId: string, escrowId: string): Promise<void>;
  /** Removes a creation that was never confirmed (still provisional, at version 1); false when it moved on. */
  dropUnconfirmed(tenantId: string, escrowId: string): Promise<boolean>;
  /** Adds a piece of evidence at its party's `seq`; false when that number is taken (another addition won). */
  addEvidence(tenantId: string, escrowId: string, evidence: EvidenceRecord): Promise<boolean>;
  /** The escrow's evidence, both parties', in no particular order. */
  listEvidence(tenantId: string, escrowId: string): Promise<EvidenceRecord[]>;
  /** The evidence's event is published. */
  evidencePublished(
    tenantId: string,
    escrowId: string,
    evidence: Pick<EvidenceRecord, "by" | "seq">,
  ): Promise<void>;
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
