import { ConcurrentUpdateError } from "../../../functions/domain/errors";
import type { Entry } from "../../../functions/domain/escrow";
import { fold } from "../../../functions/domain/escrow";
import type { EscrowMarks } from "../../../functions/domain/reconciliation";
import type { EscrowState } from "../../../functions/domain/types";
import type {
  AppendResult,
  DuePage,
  EscrowRecord,
  EscrowStore,
  EvidenceRecord,
  HandoverRecord,
  IdempotencyRecord,
  ListFilter,
  WaitRecord,
} from "../../../functions/ports/escrow-store";
import { mayHaveTakenEffect } from "../../../functions/ports/write-outcome";
import type { Op } from "../kernel/ops";
import { AwsPort, type PortContext } from "./port-call";
import type { StoreData } from "./store-data";

/**
 * The EscrowStore port as one operation sees it: every method is the
 * DynamoDB call (or calls) DynamoEscrowStore makes, on the clock and subject
 * to DynamoDB's faults. A write whose answer is lost has landed; the
 * operation's lasting effects are noted on it.
 */

export class SimStore extends AwsPort<StoreData> {
  protected readonly target = "dynamodb";

  private noteEffect(what: string): void {
    this.op?.effects.push(what);
  }

  get(tenantId: string, escrowId: string) {
    return this.call("GetItem", false, () => this.data.get(tenantId, escrowId));
  }

  create(record: EscrowRecord, state: EscrowState) {
    return this.call("PutItem", true, () => {
      const created = this.data.create(record, state);
      if (created) this.noteEffect(`created ${record.terms.id}`);
      return created;
    });
  }

  append(record: EscrowRecord, entry: Entry, previous: EscrowState, next: EscrowState) {
    return this.call("UpdateItem", true, () => {
      this.data.append(record, entry, previous, next);
      this.noteEffect(`appended ${entry.type} v${entry.v}`);
    });
  }

  async list(
    tenantId: string,
    filter: ListFilter,
  ): Promise<{ items: EscrowRecord[]; nextCursor: string | null }> {
    return this.call("Query", false, () => {
      const items = this.data
        .refs()
        .filter((r) => r.tenantId === tenantId)
        .map((r) => this.data.get(r.tenantId, r.escrowId) as EscrowRecord)
        .filter((r) => {
          if (filter.buyerId && r.terms.buyerId !== filter.buyerId) return false;
          if (filter.sellerId && r.terms.sellerId !== filter.sellerId) return false;
          const s = fold(r.terms, r.history);
          if (filter.status && s.status !== filter.status) return false;
          if (filter.needsOpsAttention !== undefined && (s.attention !== null) !== filter.needsOpsAttention)
            return false;
          if (filter.opsQueue && s.status !== "DISPUTED" && s.attention === null) return false;
          return true;
        });
      return { items: items.slice(0, filter.limit), nextCursor: null };
    });
  }

  putWait(tenantId: string, escrowId: string, wait: WaitRecord) {
    return this.call("PutItem", true, () => this.data.putWait(tenantId, escrowId, wait));
  }

  getWait(tenantId: string, escrowId: string) {
    return this.call("GetItem", false, () => this.data.getWait(tenantId, escrowId));
  }

  setPublished(tenantId: string, escrowId: string, version: number) {
    return this.call("UpdateItem", true, () => this.data.setPublished(tenantId, escrowId, version));
  }

  setMarks(
    tenantId: string,
    escrowId: string,
    read: { version: number; mv: number },
    change: Partial<Omit<EscrowMarks, "mv">>,
  ) {
    return this.call("UpdateItem", true, () => this.data.setMarks(tenantId, escrowId, read, change));
  }

  requestVisit(
    tenantId: string,
    escrowId: string,
    at: string,
    flags: Partial<Pick<EscrowMarks, "requested" | "owed" | "evidenceOwed">> & { confirm?: true },
  ) {
    return this.call("UpdateItem", true, () => {
      this.data.requestVisit(tenantId, escrowId, at, flags);
      if (flags.confirm) this.noteEffect(`confirmed ${escrowId}`);
    });
  }

  get dueShards(): number {
    return this.data.dueShards;
  }

  listDue(shard: number, now: string, limit: number, start?: string | null): Promise<DuePage> {
    return this.call("Query", false, () => this.data.listDue(shard, now, limit, start));
  }

  nextDue(after: string) {
    return this.call("Query", false, () => this.data.nextDue(after));
  }

  confirm(tenantId: string, escrowId: string) {
    return this.call("UpdateItem", true, () => {
      this.data.confirm(tenantId, escrowId);
      this.noteEffect(`confirmed ${escrowId}`);
    });
  }

  unconfirm(tenantId: string, escrowId: string) {
    return this.call("UpdateItem", true, () => {
      this.data.unconfirm(tenantId, escrowId);
      this.noteEffect(`unconfirmed ${escrowId}`);
    });
  }

  dropUnconfirmed(tenantId: string, escrowId: string) {
    return this.call("DeleteItem", true, () => this.data.dropUnconfirmed(tenantId, escrowId));
  }

  addEvidence(tenantId: string, escrowId: string, evidence: EvidenceRecord) {
    return this.call("PutItem", true, () => {
      const added = this.data.addEvidence(tenantId, escrowId, evidence);
      if (added) this.noteEffect(`evidence ${evidence.id} added`);
      return added;
    });
  }

  listEvidence(tenantId: string, escrowId: string) {
    return this.call("Query", false, () => this.data.listEvidence(tenantId, escrowId));
  }

  evidencePublished(tenantId: string, escrowId: string, evidence: Pick<EvidenceRecord, "by" | "seq">) {
    return this.call("UpdateItem", true, () => this.data.evidencePublished(tenantId, escrowId, evidence));
  }

  putHandover(tenantId: string, escrowId: string, record: HandoverRecord) {
    return this.call("PutItem", true, () => this.data.putHandover(tenantId, escrowId, record));
  }

  getHandover(tenantId: string, escrowId: string) {
    return this.call("GetItem", false, () => this.data.getHandover(tenantId, escrowId));
  }

  updateHandover(
    tenantId: string,
    escrowId: string,
    read: Pick<HandoverRecord, "id" | "wrong">,
    change: { wrong: number } | { used: true },
  ) {
    return this.call("UpdateItem", true, () => {
      const changed = this.data.updateHandover(tenantId, escrowId, read, change);
      if (changed)
        this.noteEffect("used" in change ? "handover code used" : "handover wrong attempt counted");
      return changed;
    });
  }

  getIdempotency(tenantId: string, keyHash: string): Promise<IdempotencyRecord | null> {
    return this.call("GetItem", false, () => this.data.getIdempotency(tenantId, keyHash));
  }

  putIdempotency(tenantId: string, keyHash: string, record: IdempotencyRecord) {
    return this.call("PutItem", true, () => this.data.putIdempotency(tenantId, keyHash, record));
  }
}

/**
 * The store's six ports (issue #18) over one operation's SimStore, answering
 * as the DynamoDB adapters do: a lost condition on append is `conflict`, a
 * lost answer `unknown` (the adapter classifies its errors, not the service).
 */
export function simStore(data: StoreData, ctx: PortContext, op: Op | null): EscrowStore {
  const s = new SimStore(data, ctx, op);
  return {
    escrows: {
      get: (t, e) => s.get(t, e),
      create: (r, st) => s.create(r, st),
      append: async (r, e, p, n): Promise<AppendResult> => {
        try {
          await s.append(r, e, p, n);
          return "appended";
        } catch (error) {
          if (error instanceof ConcurrentUpdateError) return "conflict";
          if (mayHaveTakenEffect(error)) return "unknown";
          throw error;
        }
      },
      list: (t, f) => s.list(t, f),
      confirm: (t, e) => s.confirm(t, e),
      unconfirm: (t, e) => s.unconfirm(t, e),
    },
    waits: {
      put: (t, e, w) => s.putWait(t, e, w),
      get: (t, e) => s.getWait(t, e),
      setPublished: (t, e, v) => s.setPublished(t, e, v),
    },
    marks: {
      set: (t, e, r, c) => s.setMarks(t, e, r, c),
      requestVisit: (t, e, a, f) => s.requestVisit(t, e, a, f),
      listDue: (sh, n, l, st) => s.listDue(sh, n, l, st),
      get dueShards() {
        return s.dueShards;
      },
      nextDue: (a) => s.nextDue(a),
      dropUnconfirmed: (t, e) => s.dropUnconfirmed(t, e),
    },
    evidence: {
      add: (t, e, ev) => s.addEvidence(t, e, ev),
      list: (t, e) => s.listEvidence(t, e),
      published: (t, e, ev) => s.evidencePublished(t, e, ev),
    },
    handover: {
      put: (t, e, r) => s.putHandover(t, e, r),
      get: (t, e) => s.getHandover(t, e),
      update: (t, e, r, c) => s.updateHandover(t, e, r, c),
    },
    idempotency: {
      get: (t, k) => s.getIdempotency(t, k),
      put: (t, k, r) => s.putIdempotency(t, k, r),
    },
  };
}
