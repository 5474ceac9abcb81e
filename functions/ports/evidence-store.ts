import type { EvidenceItem } from "../domain/types";

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

/** Dispute evidence, kept beside its escrow. */
export interface EvidenceStore {
  /** Adds a piece at its party's `seq`; false when that number is taken (another addition won). */
  add(tenantId: string, escrowId: string, evidence: EvidenceRecord): Promise<boolean>;
  /** The escrow's evidence, both parties', in no particular order. */
  list(tenantId: string, escrowId: string): Promise<EvidenceRecord[]>;
  /** The piece's event is published. */
  published(tenantId: string, escrowId: string, evidence: Pick<EvidenceRecord, "by" | "seq">): Promise<void>;
}
