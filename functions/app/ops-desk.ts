import { randomBytes } from "node:crypto";
import { IdempotencyKeyReusedError, NotFoundError, ValidationError } from "../domain/errors";
import { fold } from "../domain/escrow";
import { IDEM_TAG_DIGITS, idemTag, keyHash } from "../domain/ids";
import {
  MAX_ASSIGNMENT_HISTORY,
  MAX_NOTES,
  previewResolution,
  type ResolutionPreview,
} from "../domain/ops-desk";
import type { OpsUser, ReasonCode, SettlementOutcome } from "../domain/types";
import type { IdempotentRequest } from "./escrow-service";
import { rememberAnswer } from "./idempotency";
import { getOpsEscrow, type OpsDeskDeps, type OpsNote, type OpsView, type OpsViewDeps } from "./ops-view";
import type { EscrowRef } from "./transact";

/**
 * What ops do beside deciding (API.md v1.2): notes for the next shift, taking
 * a case, and previewing what a resolution would move. None is a transition:
 * the escrow's version does not move, and nothing here reaches an event or a
 * marketplace route.
 */

export interface NoteAnswer {
  statusCode: 201;
  note: OpsNote;
  replayed: boolean;
}

const tagOf = (tenantId: string, idem?: IdempotentRequest) => {
  const kHash = idem ? keyHash(tenantId, idem.key) : undefined;
  return { kHash, tag: idem && kHash ? idemTag(kHash, idem.requestHash) : null };
};
const sameKey = (kHash: string, tag: string | null | undefined) =>
  tag?.startsWith(`${kHash.slice(0, IDEM_TAG_DIGITS)}.`) === true;

/** The completed request with this key, if any (422 when the key was used for another request). */
async function completed(
  deps: OpsDeskDeps,
  tenantId: string,
  kHash: string | undefined,
  idem?: IdempotentRequest,
) {
  if (!idem || !kHash) return null;
  const done = await deps.store.idempotency.get(tenantId, kHash);
  if (!done || done.expiresAt * 1000 <= deps.now().getTime()) return null;
  if (done.requestHash !== idem.requestHash) throw new IdempotencyKeyReusedError();
  return done;
}

const remember = (
  deps: OpsDeskDeps,
  ref: EscrowRef,
  kHash: string,
  idem: IdempotentRequest,
  resourceId: string,
  statusCode: number,
) =>
  rememberAnswer(deps, ref.tenantId, kHash, {
    requestHash: idem.requestHash,
    escrowId: ref.escrowId,
    version: 0,
    statusCode,
    resourceId,
  });

const toNote = ({ id, text, by, at }: OpsNote): OpsNote => ({ id, text, by, at });

/** `POST …/notes`: at most MAX_NOTES an escrow (the next is 400); a retry with its key gets the same note. */
export async function addNote(
  deps: OpsDeskDeps,
  ref: EscrowRef,
  by: OpsUser,
  text: string,
  idem?: IdempotentRequest,
): Promise<NoteAnswer> {
  const { kHash, tag } = tagOf(ref.tenantId, idem);
  const done = await completed(deps, ref.tenantId, kHash, idem);
  if (!(await deps.store.escrows.get(ref.tenantId, ref.escrowId))) throw new NotFoundError();
  for (let attempt = 0; attempt <= MAX_NOTES; attempt++) {
    const existing = await deps.desk.listNotes(ref.tenantId, ref.escrowId);
    // A replay, or a retry of a request whose answer was lost: its note carries the key's tag.
    const earlier = kHash ? existing.find((n) => sameKey(kHash, n.idem)) : undefined;
    if (earlier && kHash && idem) {
      if (earlier.idem !== tag) throw new IdempotencyKeyReusedError();
      if (!done) await remember(deps, ref, kHash, idem, earlier.id, 201);
      return { statusCode: 201, note: toNote(earlier), replayed: true };
    }
    if (existing.length >= MAX_NOTES)
      throw new ValidationError(`This escrow already has ${MAX_NOTES} notes.`, [
        { path: "text", message: `at most ${MAX_NOTES} notes an escrow` },
      ]);
    const note: OpsNote = {
      id: `note_${randomBytes(12).toString("hex")}`,
      text,
      by,
      at: deps.now().toISOString(),
    };
    if (
      !(await deps.desk.addNote(ref.tenantId, ref.escrowId, { ...note, seq: existing.length + 1, idem: tag }))
    )
      continue; // the number was taken by a racing addition: read again
    if (idem && kHash) await remember(deps, ref, kHash, idem, note.id, 201);
    return { statusCode: 201, note, replayed: false };
  }
  throw new Error("adding a note kept losing the race for the next number");
}

export interface AssignmentAnswer {
  view: OpsView;
  replayed: boolean;
}

/**
 * `POST …/assignment`: the caller takes the case (`me`, even from someone
 * else: the last writer wins) or lets it go (null); each change is kept in
 * the view's `ops.history`. Answers the ops view as it now is.
 */
export async function assign(
  deps: OpsViewDeps,
  ref: EscrowRef,
  by: OpsUser,
  assignee: "me" | null,
  idem?: IdempotentRequest,
): Promise<AssignmentAnswer> {
  const { kHash, tag } = tagOf(ref.tenantId, idem);
  const done = await completed(deps, ref.tenantId, kHash, idem);
  if (!(await deps.store.escrows.get(ref.tenantId, ref.escrowId))) throw new NotFoundError();
  const desk = await deps.desk.summary(ref.tenantId, ref.escrowId);
  const earlier = kHash ? desk.history.find((c) => sameKey(kHash, c.idem)) : undefined;
  if (earlier && earlier.idem !== tag) throw new IdempotencyKeyReusedError();
  if (!done && !earlier)
    await deps.desk.assign(
      ref.tenantId,
      ref.escrowId,
      {
        at: deps.now().toISOString(),
        type: "assigned",
        by,
        assignee: assignee === "me" ? by : null,
        ...(tag ? { idem: tag } : {}),
      },
      MAX_ASSIGNMENT_HISTORY,
    );
  if (idem && kHash && !done) await remember(deps, ref, kHash, idem, "assignment", 200);
  return { view: await getOpsEscrow(deps, ref.tenantId, ref.escrowId), replayed: Boolean(done || earlier) };
}

/** `POST …/resolution-preview`: the same checks as the resolution, and what it would move now; changes nothing. */
export async function previewResolutionOf(
  deps: Pick<OpsDeskDeps, "store" | "now">,
  ref: EscrowRef,
  body: { outcome: SettlementOutcome; refundAmount?: number; reasonCode?: ReasonCode; note?: string },
): Promise<ResolutionPreview> {
  const record = await deps.store.escrows.get(ref.tenantId, ref.escrowId);
  if (!record) throw new NotFoundError();
  return previewResolution(fold(record.terms, record.history), body, deps.now());
}
