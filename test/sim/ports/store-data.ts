import { ConcurrentUpdateError } from "../../../functions/domain/errors";
import type { Entry } from "../../../functions/domain/escrow";
import { dueOf } from "../../../functions/domain/reconciliation";
import type { EscrowState } from "../../../functions/domain/types";
import type {
  DueEscrow,
  EscrowRecord,
  EvidenceRecord,
  HandoverRecord,
  IdempotencyRecord,
  WaitRecord,
} from "../../../functions/ports/escrow-store";

/**
 * The escrow table in memory, with the conditions DynamoEscrowStore writes
 * (functions/adapters/dynamo-*.ts): a transition appends only on the version
 * read, a wait is never overwritten by an older one, a due mark keeps the
 * earliest and is cleared only up to what the reconciler read, a handover
 * code changes only as it was read. Synchronous: the view (store-view.ts)
 * puts each call on the clock and fails it.
 */

interface EscrowItem {
  terms: EscrowRecord["terms"];
  history: Entry[];
  due: string | null;
}

const key = (tenantId: string, escrowId: string) => `${tenantId}|${escrowId}`;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export class StoreData {
  private readonly escrows = new Map<string, EscrowItem>();
  private readonly waits = new Map<string, WaitRecord>();
  private readonly evidence = new Map<string, EvidenceRecord[]>();
  private readonly handovers = new Map<string, HandoverRecord>();
  private readonly idempotency = new Map<string, IdempotencyRecord>();
  private checkpoint: string | null = null;
  /** Escrows whose item changed since the invariants last looked. */
  readonly dirty = new Set<string>();

  /** The record as stored, for the invariants (not through a port: no latency, no faults). */
  peek(tenantId: string, escrowId: string): EscrowRecord | null {
    const item = this.escrows.get(key(tenantId, escrowId));
    return item ? { terms: item.terms, history: item.history } : null;
  }

  peekWait(tenantId: string, escrowId: string): WaitRecord | null {
    return this.waits.get(key(tenantId, escrowId)) ?? null;
  }

  /** The escrow's soonest due mark (escrow or wait item), for a story. */
  peekDue(tenantId: string, escrowId: string): string | null {
    const k = key(tenantId, escrowId);
    const marks = [this.escrows.get(k)?.due ?? null, this.waits.get(k)?.due ?? null].filter(
      (m) => m !== null,
    );
    return marks.sort()[0] ?? null;
  }

  refs(): { tenantId: string; escrowId: string }[] {
    return [...this.escrows.values()].map((i) => ({ tenantId: i.terms.tenantId, escrowId: i.terms.id }));
  }

  get(tenantId: string, escrowId: string): EscrowRecord | null {
    const item = this.escrows.get(key(tenantId, escrowId));
    return item ? { terms: item.terms, history: [...item.history] } : null;
  }

  create(record: EscrowRecord, state: EscrowState): boolean {
    const k = key(record.terms.tenantId, record.terms.id);
    if (this.escrows.has(k)) return false;
    // Frozen, not copied: the service must never change an entry it has written (it would throw here).
    this.escrows.set(k, {
      terms: deepFreeze(structuredClone(record.terms)),
      history: record.history.map((e) => deepFreeze(e)),
      due: dueOf(state),
    });
    this.dirty.add(record.terms.id);
    return true;
  }

  append(record: EscrowRecord, entry: Entry, previous: EscrowState, next: EscrowState): void {
    const item = this.escrows.get(key(record.terms.tenantId, record.terms.id));
    const version = item?.history[item.history.length - 1]?.v;
    if (!item || version !== previous.version) throw new ConcurrentUpdateError();
    item.history.push(deepFreeze(entry));
    const due = dueOf(next);
    const before = dueOf(previous);
    if (due !== null && due !== before) item.due = due;
    else if (due === null && before !== null) item.due = null;
    this.dirty.add(record.terms.id);
  }

  putWait(tenantId: string, escrowId: string, wait: WaitRecord): void {
    const k = key(tenantId, escrowId);
    const current = this.waits.get(k);
    // A slow, superseded attempt must not overwrite the token of a later wait.
    if (current && current.seenVersion > wait.seenVersion) return;
    this.waits.set(k, { ...wait });
  }

  getWait(tenantId: string, escrowId: string): WaitRecord | null {
    const w = this.waits.get(key(tenantId, escrowId));
    return w ? { ...w } : null;
  }

  markDue(tenantId: string, escrowId: string, due: string): void {
    const item = this.escrows.get(key(tenantId, escrowId));
    if (item && (item.due === null || item.due > due)) item.due = due;
  }

  clearDue(tenantId: string, escrowId: string, upTo: string, which: "escrow" | "wait"): void {
    const k = key(tenantId, escrowId);
    if (which === "escrow") {
      const item = this.escrows.get(k);
      if (item?.due !== null && item?.due !== undefined && item.due <= upTo) item.due = null;
      return;
    }
    const w = this.waits.get(k);
    if (w?.due !== null && w?.due !== undefined && w.due <= upTo)
      this.waits.set(k, { ...w, due: null, owedFrom: null });
  }

  clearWaitMark(tenantId: string, escrowId: string): void {
    const k = key(tenantId, escrowId);
    const w = this.waits.get(k);
    if (w && w.due !== null && w.owedFrom === null) this.waits.set(k, { ...w, due: null });
  }

  private marks(): { tenantId: string; escrowId: string; which: DueEscrow["items"][number]; due: string }[] {
    const out: { tenantId: string; escrowId: string; which: DueEscrow["items"][number]; due: string }[] = [];
    for (const i of this.escrows.values())
      if (i.due !== null)
        out.push({ tenantId: i.terms.tenantId, escrowId: i.terms.id, which: "escrow", due: i.due });
    for (const [k, w] of this.waits) {
      const [tenantId, escrowId] = k.split("|") as [string, string];
      if (w.due !== null) out.push({ tenantId, escrowId, which: "wait", due: w.due });
    }
    for (const [k, items] of this.evidence) {
      const [tenantId, escrowId] = k.split("|") as [string, string];
      for (const e of items)
        if (e.due !== null) out.push({ tenantId, escrowId, which: "evidence", due: e.due });
    }
    return out;
  }

  listDue(now: string, limit: number): DueEscrow[] {
    const found = new Map<string, { ref: DueEscrow; due: string }>();
    for (const m of this.marks()) {
      if (m.due > now) continue;
      const k = key(m.tenantId, m.escrowId);
      const seen = found.get(k);
      if (seen) {
        if (!seen.ref.items.includes(m.which)) seen.ref.items.push(m.which);
        if (seen.due > m.due) seen.due = m.due;
      } else
        found.set(k, { ref: { tenantId: m.tenantId, escrowId: m.escrowId, items: [m.which] }, due: m.due });
    }
    return [...found.values()]
      .sort((a, b) => a.due.localeCompare(b.due) || a.ref.escrowId.localeCompare(b.ref.escrowId))
      .slice(0, limit)
      .map((f) => f.ref);
  }

  /** Whether anything is due by `now` (what the reconciler's first query would find). */
  anyDue(now: string): boolean {
    for (const i of this.escrows.values()) if (i.due !== null && i.due <= now) return true;
    for (const w of this.waits.values()) if (w.due !== null && w.due <= now) return true;
    for (const items of this.evidence.values())
      for (const e of items) if (e.due !== null && e.due <= now) return true;
    return false;
  }

  nextDue(after: string): string | null {
    let soonest: string | null = null;
    for (const m of this.marks()) if (m.due > after && (soonest === null || m.due < soonest)) soonest = m.due;
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
    if (item) item.due = null;
  }

  getCheckpoint(): string | null {
    return this.checkpoint;
  }

  putCheckpoint(at: string): void {
    this.checkpoint = at;
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
