import { randomBytes } from "node:crypto";
import {
  ForbiddenError,
  IdempotencyKeyReusedError,
  InvalidTransitionError,
  ValidationError,
} from "../domain/errors";
import { fold } from "../domain/escrow";
import { evidenceEvent } from "../domain/events";
import { IDEM_TAG_DIGITS, idemTag, keyHash } from "../domain/ids";
import { kindOf } from "../domain/kinds/registry";
import { RECONCILE_GRACE_SECONDS } from "../domain/reconciliation";
import type { Attachment, EscrowState, EscrowStatus, EvidenceItem } from "../domain/types";
import { addSeconds } from "../domain/windows";
import type { EscrowStore, EvidenceRecord } from "../ports/escrow-store";
import type { EventPublisher } from "../ports/events";
import type { OpsDeskStore } from "../ports/ops-desk";
import { logger } from "../shared/logger";
import type { IdempotentRequest } from "./escrow-service";
import { rememberAnswer } from "./idempotency";
import { readEscrow } from "./readable";
import type { EscrowRef } from "./transact";
import { writeSeeingThrough } from "./write-outcome";

/**
 * Dispute evidence (API.md v1.1): the buyer's and the seller's statements,
 * with references to files the marketplace keeps (their SHA-256), while ops
 * may have to decide. Evidence moves no money and is not a transition: it is
 * stored beside the escrow, not in it, and it is announced by the request that
 * added it — or, when SNS fails, by the reconciler, from the mark it carries
 * until then.
 */

/** Where evidence may be added: while a refund or a dispute is contested, and in a kind's own such statuses. */
export const evidenceStatuses = (state: Pick<EscrowState, "kind">): readonly EscrowStatus[] => [
  "REFUND_REQUESTED",
  "DISPUTED",
  ...(kindOf(state).evidenceAlsoIn ?? []),
];
export const MAX_EVIDENCE_PER_PARTY = 20;

export interface EvidenceCommand {
  actorId: string;
  text: string;
  attachments?: Attachment[];
}

export interface EvidenceDeps {
  store: EscrowStore;
  /** Escrow events only: evidence alerts nobody. */
  events: Pick<EventPublisher, "publish">;
  now: () => Date;
  /** The ops desk keeps each party's count for the queue (API.md v1.2: `evidenceCount`). */
  desk?: Pick<OpsDeskStore, "countEvidence">;
}

export interface EvidenceAnswer {
  statusCode: 201;
  evidence: EvidenceItem;
  replayed: boolean;
}

export const toEvidenceItem = (e: EvidenceRecord): EvidenceItem => ({
  id: e.id,
  by: e.by,
  text: e.text,
  attachments: e.attachments,
  at: e.at,
});

/** Oldest first (the time it was added, then the party's own order). */
const chronological = (a: EvidenceRecord, b: EvidenceRecord) =>
  a.at.localeCompare(b.at) || a.version - b.version || a.seq - b.seq;

export async function listEvidence(deps: Pick<EvidenceDeps, "store">, ref: EscrowRef) {
  await readEscrow(deps, ref.tenantId, ref.escrowId);
  const items = await deps.store.evidence.list(ref.tenantId, ref.escrowId);
  return { items: items.sort(chronological).map(toEvidenceItem) };
}

/** Every piece of evidence with the version of the escrow it was added at, oldest first (for the history). */
export async function evidenceInOrder(store: EscrowStore, ref: EscrowRef): Promise<EvidenceRecord[]> {
  return (await store.evidence.list(ref.tenantId, ref.escrowId)).sort(chronological);
}

export async function addEvidence(
  deps: EvidenceDeps,
  ref: EscrowRef,
  command: EvidenceCommand,
  idem?: IdempotentRequest,
): Promise<EvidenceAnswer> {
  const kHash = idem ? keyHash(ref.tenantId, idem.key) : undefined;
  const tag = idem && kHash ? idemTag(kHash, idem.requestHash) : null;
  if (idem && kHash) {
    const done = await deps.store.idempotency.get(ref.tenantId, kHash);
    if (done && done.expiresAt * 1000 > deps.now().getTime()) {
      if (done.requestHash !== idem.requestHash) throw new IdempotencyKeyReusedError();
      const earlier = (await deps.store.evidence.list(ref.tenantId, done.escrowId)).find(
        (e) => e.id === done.resourceId,
      );
      if (earlier) return { statusCode: 201, evidence: toEvidenceItem(earlier), replayed: true };
    }
  }
  const record = await readEscrow(deps, ref.tenantId, ref.escrowId);
  const state = fold(record.terms, record.history);

  for (let attempt = 0; attempt < 3 * MAX_EVIDENCE_PER_PARTY; attempt++) {
    const existing = await deps.store.evidence.list(ref.tenantId, ref.escrowId);
    // A retry of a request whose answer was lost: its item carries the key's tag.
    const earlier = kHash
      ? existing.find((e) => e.idem?.startsWith(`${kHash.slice(0, IDEM_TAG_DIGITS)}.`))
      : undefined;
    if (earlier) {
      if (earlier.idem !== tag) throw new IdempotencyKeyReusedError();
      await remember(deps, ref, idem, kHash, earlier.id);
      return { statusCode: 201, evidence: toEvidenceItem(earlier), replayed: true };
    }
    const by = partyOf(state, command.actorId);
    const mine = by ? existing.filter((e) => e.by === by).length : 0;
    if (mine >= MAX_EVIDENCE_PER_PARTY)
      throw new ValidationError(`The ${by} has already added ${MAX_EVIDENCE_PER_PARTY} pieces of evidence.`, [
        { path: "text", message: `at most ${MAX_EVIDENCE_PER_PARTY} pieces of evidence a party` },
      ]);
    if (!by) throw new ForbiddenError("Only the buyer or the seller of this escrow may add evidence.");
    guardEvidence(state, deps.now());

    const now = deps.now().toISOString();
    const evidence: EvidenceItem = {
      id: `evd_${randomBytes(12).toString("hex")}`,
      by,
      text: command.text,
      attachments: command.attachments ?? [],
      at: now,
    };
    const stored: EvidenceRecord = {
      ...evidence,
      seq: mine + 1,
      version: state.version,
      idem: tag,
      unpublished: true,
    };
    // The escrow is marked first: whatever happens after (a publish that fails, a request that dies), the
    // reconciler publishes the item's event, with the same id, after the grace.
    await deps.store.marks.requestVisit(
      ref.tenantId,
      ref.escrowId,
      addSeconds(now, RECONCILE_GRACE_SECONDS),
      {
        evidenceOwed: true,
      },
    );
    const added = await writeSeeingThrough(
      "adding evidence",
      () => deps.store.evidence.add(ref.tenantId, ref.escrowId, stored),
      async () =>
        (await deps.store.evidence.list(ref.tenantId, ref.escrowId)).some((e) => e.id === stored.id)
          ? true
          : undefined,
    );
    if (!added) continue; // the number was taken
    // The queue's count; the ops view counts the pieces themselves, so a count left behind (this
    // write failing) shows only in the queue, until the party's next piece.
    await deps.desk?.countEvidence(ref.tenantId, ref.escrowId, by, stored.seq).catch((error) =>
      logger.warn("counting the evidence on the ops desk failed", {
        escrowId: ref.escrowId,
        error: String(error),
      }),
    );
    await announceEvidence(deps, ref, state, stored);
    await remember(deps, ref, idem, kHash, evidence.id);
    return { statusCode: 201, evidence, replayed: false };
  }
  throw new Error("adding evidence kept losing the race for the next number");
}

function partyOf(state: EscrowState, actorId: string): EvidenceItem["by"] | null {
  if (actorId === state.buyerId) return "buyer";
  if (actorId === state.sellerId) return "seller";
  return null;
}

function guardEvidence(state: EscrowState, now: Date): void {
  const statuses = evidenceStatuses(state);
  if (!statuses.includes(state.status))
    throw new InvalidTransitionError(
      `Evidence can be added while the escrow is ${statuses.join(", ")}; it is ${state.status}.`,
    );
  if (state.pending)
    throw new InvalidTransitionError(
      `An accepted ${state.pending.action} is being applied to this escrow; evidence can no longer change it.`,
    );
  if (state.deadline !== null && now.getTime() >= Date.parse(state.deadline))
    throw new InvalidTransitionError(
      `The window of the ${state.status} status ended at ${state.deadline}; the automatic outcome applies.`,
    );
}

/** Publishes `escrow.evidence_added`; never fails the request (the item's mark leaves it to the reconciler). */
async function announceEvidence(deps: EvidenceDeps, ref: EscrowRef, state: EscrowState, e: EvidenceRecord) {
  try {
    await deps.events.publish(evidenceEvent(state, toEvidenceItem(e)));
  } catch (error) {
    logger.warn("publishing the evidence failed; the reconciler will", {
      escrowId: ref.escrowId,
      error: String(error),
    });
    return;
  }
  await deps.store.evidence.published(ref.tenantId, ref.escrowId, e).catch((error) => {
    // Published: the reconciler may publish it again, with the same id.
    logger.warn("clearing the evidence's mark failed", { escrowId: ref.escrowId, error: String(error) });
  });
}

async function remember(
  deps: EvidenceDeps,
  ref: EscrowRef,
  idem: IdempotentRequest | undefined,
  kHash: string | undefined,
  evidenceId: string,
) {
  if (!idem || !kHash) return;
  await rememberAnswer(deps, ref.tenantId, kHash, {
    requestHash: idem.requestHash,
    escrowId: ref.escrowId,
    version: 0,
    statusCode: 201,
    resourceId: evidenceId,
  });
}
