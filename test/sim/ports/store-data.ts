import { WAIT_ATTEMPT_SKEW_MS } from "../../../functions/adapters/dynamo-waits";
import { dueShardOf } from "../../../functions/adapters/table-schema";
import { ConcurrentUpdateError } from "../../../functions/domain/errors";
import type { Entry } from "../../../functions/domain/escrow";
import { dueOf, type EscrowMarks, NO_MARKS } from "../../../functions/domain/reconciliation";
import type { EscrowState } from "../../../functions/domain/types";
import type {
  DuePage,
  EscrowRecord,
  EvidenceRecord,
  HandoverRecord,
  IdempotencyRecord,
  WaitRecord,
} from "../../../functions/ports/escrow-store";

/**
 * The escrow table in memory, with the conditions DynamoEscrowStore writes
 * (functions/adapters/dynamo-*.ts): a transition appends only on the version
 * and the marks (`mv`) read and moves the escrow's one due mark (`dueOf`); a
 * change of marks is conditioned the same way and bumps `mv`; a visit request
 * keeps the earlier due time; a wait is never overwritten by an older one; a
 * handover code changes only as it was read. Synchronous: the view
 * (store-view.ts) puts each call on the clock and fails it.
 */

interface EscrowItem {
  terms: EscrowRecord["terms"];
  history: Entry[];
  marks: EscrowMarks;
}

const key = (tenantId: string, escrowId: string) => `${tenantId}|${escrowId}`;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** A condition that did not hold, as the SDK raises it (where the adapter lets it through). */
const conditionFailed = () =>
  Object.assign(new Error("The conditional request failed"), {
    name: "ConditionalCheckFailedException",
    $metadata: { httpStatusCode: 400 },
  });

export class StoreData {
  private readonly escrows = new Map<string, EscrowItem>();
  private readonly waits = new Map<string, WaitRecord>();
  private readonly evidence = new Map<string, EvidenceRecord[]>();
  private readonly handovers = new Map<string, HandoverRecord>();
  private readonly idempotency = new Map<string, IdempotencyRecord>();
  /** Escrows whose item changed since the invariants last looked. */
  readonly dirty = new Set<string>();
  readonly dueShards = 16;

  constructor(private readonly reminderEarlySeconds: number) {}

  /** The record as stored, for the invariants (not through a port: no latency, no faults). */
  peek(tenantId: string, escrowId: string): EscrowRecord | null {
    const item = this.escrows.get(key(tenantId, escrowId));
    return item ? { terms: item.terms, history: item.history, marks: item.marks } : null;
  }

  peekWait(tenantId: string, escrowId: string): WaitRecord | null {
    return this.waits.get(key(tenantId, escrowId)) ?? null;
  }

  /** The escrow's due mark, for a story. */
  peekDue(tenantId: string, escrowId: string): string | null {
    return this.escrows.get(key(tenantId, escrowId))?.marks.due ?? null;
  }

  refs(): { tenantId: string; escrowId: string }[] {
    return [...this.escrows.values()].map((i) => ({ tenantId: i.terms.tenantId, escrowId: i.terms.id }));
  }

  get(tenantId: string, escrowId: string): EscrowRecord | null {
    const item = this.escrows.get(key(tenantId, escrowId));
    return item ? { terms: item.terms, history: [...item.history], marks: { ...item.marks } } : null;
  }

  create(record: EscrowRecord, state: EscrowState): boolean {
    const k = key(record.terms.tenantId, record.terms.id);
    if (this.escrows.has(k)) return false;
    const provisional = { ...NO_MARKS, provisional: true };
    this.escrows.set(k, {
      terms: deepFreeze(structuredClone(record.terms)),
      // Frozen, not copied: the service must never change an entry it has written (it would throw here).
      history: record.history.map((e) => deepFreeze(e)),
      marks: { ...provisional, due: dueOf(state, provisional, state.createdAt) },
    });
    this.dirty.add(record.terms.id);
    return true;
  }

  append(record: EscrowRecord, entry: Entry, previous: EscrowState, next: EscrowState): void {
    const item = this.escrows.get(key(record.terms.tenantId, record.terms.id));
    const read = record.marks ?? NO_MARKS;
    const version = item?.history[item.history.length - 1]?.v;
    if (!item || version !== previous.version || item.marks.mv !== read.mv) throw new ConcurrentUpdateError();
    item.history.push(deepFreeze(entry));
    // A transition confirms a new escrow, ends a parked wait and moves the due mark (not `mv`).
    const after: EscrowMarks = { ...read, provisional: false, parked: false };
    item.marks = { ...after, due: dueOf(next, after, entry.at, this.reminderEarlySeconds) };
    this.dirty.add(record.terms.id);
  }

  setMarks(
    tenantId: string,
    escrowId: string,
    read: { version: number; mv: number },
    change: Partial<Omit<EscrowMarks, "mv">>,
  ): boolean {
    const item = this.escrows.get(key(tenantId, escrowId));
    if (!item || item.history[item.history.length - 1]?.v !== read.version || item.marks.mv !== read.mv)
      return false;
    const defined = Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined));
    item.marks = { ...item.marks, ...defined, mv: item.marks.mv + 1 };
    this.dirty.add(escrowId);
    return true;
  }

  requestVisit(
    tenantId: string,
    escrowId: string,
    at: string,
    flags: Partial<Pick<EscrowMarks, "requested" | "owed" | "evidenceOwed">> & { confirm?: true },
  ): void {
    const item = this.escrows.get(key(tenantId, escrowId));
    if (!item) return;
    const { confirm, ...rest } = flags;
    const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
    // An earlier mark stands (the reconciler looks at the soonest).
    const due = item.marks.due === null || item.marks.due > at ? at : item.marks.due;
    item.marks = {
      ...item.marks,
      ...defined,
      due,
      mv: item.marks.mv + 1,
      ...(confirm ? { provisional: false } : {}),
    };
    this.dirty.add(escrowId);
  }

  confirm(tenantId: string, escrowId: string): void {
    const item = this.escrows.get(key(tenantId, escrowId));
    if (!item) throw conditionFailed();
    item.marks = { ...item.marks, provisional: false };
    this.dirty.add(escrowId);
  }

  unconfirm(tenantId: string, escrowId: string): void {
    const item = this.escrows.get(key(tenantId, escrowId));
    if (!item) return;
    if (item.history[item.history.length - 1]?.v !== 1) return;
    item.marks = { ...item.marks, provisional: true };
    this.dirty.add(escrowId);
  }

  dropUnconfirmed(tenantId: string, escrowId: string): boolean {
    const k = key(tenantId, escrowId);
    const item = this.escrows.get(k);
    if (!item?.marks.provisional || item.history[item.history.length - 1]?.v !== 1) return false;
    this.escrows.delete(k);
    this.dirty.add(escrowId);
    return true;
  }

  putWait(tenantId: string, escrowId: string, wait: WaitRecord): void {
    const k = key(tenantId, escrowId);
    const current = this.waits.get(k);
    // A slow, superseded attempt must not overwrite the token of a later wait — nor, at the same
    // version, of an attempt that began well after it (as DynamoWorkflowWaits.put's condition).
    if (current && current.seenVersion > wait.seenVersion) return;
    if (
      current &&
      current.seenVersion === wait.seenVersion &&
      Date.parse(current.since) > Date.parse(wait.since) + WAIT_ATTEMPT_SKEW_MS
    )
      return;
    this.waits.set(k, { ...wait });
  }

  getWait(tenantId: string, escrowId: string): WaitRecord | null {
    const w = this.waits.get(key(tenantId, escrowId));
    return w ? { ...w } : null;
  }

  setPublished(tenantId: string, escrowId: string, version: number): void {
    const k = key(tenantId, escrowId);
    const w = this.waits.get(k);
    if (w && w.published < version) this.waits.set(k, { ...w, published: version });
  }

  /** Whether anything is due by `now` (what the reconciler's first queries would find). */
  anyDue(now: string): boolean {
    for (const i of this.escrows.values()) if (i.marks.due !== null && i.marks.due <= now) return true;
    return false;
  }

  listDue(shard: number, now: string, limit: number, start?: string | null): DuePage {
    const items = [...this.escrows.values()]
      .filter((i) => i.marks.due !== null && i.marks.due <= now && dueShardOf(i.terms.id) === `DUE#${shard}`)
      .map((i) => ({ tenantId: i.terms.tenantId, escrowId: i.terms.id, due: i.marks.due as string }))
      .sort((a, b) => a.due.localeCompare(b.due) || a.escrowId.localeCompare(b.escrowId));
    const from = start ? items.findIndex((i) => `${i.due}|${i.escrowId}` > start) : 0;
    const page = from < 0 ? [] : items.slice(from, from + limit);
    const last = page[page.length - 1];
    const more = from >= 0 && from + limit < items.length;
    return { items: page, next: more && last ? `${last.due}|${last.escrowId}` : null };
  }

  nextDue(after: string): string | null {
    let soonest: string | null = null;
    for (const i of this.escrows.values())
      if (i.marks.due !== null && i.marks.due > after && (soonest === null || i.marks.due < soonest))
        soonest = i.marks.due;
    return soonest;
  }

  addEvidence(tenantId: string, escrowId: string, e: EvidenceRecord): boolean {
    const k = key(tenantId, escrowId);
    const items = this.evidence.get(k) ?? [];
    if (items.some((x) => x.by === e.by && x.seq === e.seq)) return false;
    items.push({ ...e });
    this.evidence.set(k, items);
    return true;
  }

  listEvidence(tenantId: string, escrowId: string): EvidenceRecord[] {
    return (this.evidence.get(key(tenantId, escrowId)) ?? []).map((e) => ({ ...e }));
  }

  evidencePublished(tenantId: string, escrowId: string, e: Pick<EvidenceRecord, "by" | "seq">): void {
    const item = this.evidence.get(key(tenantId, escrowId))?.find((x) => x.by === e.by && x.seq === e.seq);
    if (item) item.unpublished = false;
  }

  putHandover(tenantId: string, escrowId: string, record: HandoverRecord): void {
    this.handovers.set(key(tenantId, escrowId), { ...record });
  }

  getHandover(tenantId: string, escrowId: string): HandoverRecord | null {
    const h = this.handovers.get(key(tenantId, escrowId));
    return h ? { ...h } : null;
  }

  updateHandover(
    tenantId: string,
    escrowId: string,
    read: Pick<HandoverRecord, "id" | "wrong">,
    change: { wrong: number } | { used: true },
  ): boolean {
    const k = key(tenantId, escrowId);
    const h = this.handovers.get(k);
    if (!h || h.id !== read.id || h.wrong !== read.wrong || h.used) return false;
    this.handovers.set(k, "used" in change ? { ...h, used: true } : { ...h, wrong: change.wrong });
    return true;
  }

  getIdempotency(tenantId: string, keyHash: string): IdempotencyRecord | null {
    const r = this.idempotency.get(key(tenantId, keyHash));
    return r ? { ...r } : null;
  }

  putIdempotency(tenantId: string, keyHash: string, record: IdempotencyRecord): void {
    this.idempotency.set(key(tenantId, keyHash), { ...record });
  }
}
