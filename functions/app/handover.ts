import { randomBytes, randomInt, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { ForbiddenError, HandoverCodeInvalidError, InvalidTransitionError } from "../domain/errors";
import { decideAction, fold } from "../domain/escrow";
import { kindOf } from "../domain/kinds/registry";
import type { EscrowState } from "../domain/types";
import type { EscrowStore, HandoverRecord } from "../ports/escrow-store";
import { type EscrowRef, load, type StoreDeps } from "./transact";

/**
 * In-person handover codes (API.md v1.1): the buyer's app shows a code at the
 * meeting, the seller's app submits it with `delivery`. 8 digits from a
 * cryptographically secure source, valid 10 minutes and once; a new code
 * voids the old; the fifth wrong code voids the current one. Only a salted
 * scrypt hash is stored (an 8-digit code is cheap to guess from a plain
 * hash), compared in constant time; the code is never written anywhere else.
 */
export const HANDOVER = { digits: 8, validSeconds: 10 * 60, maxWrong: 5 } as const;

const scryptAsync = promisify(scrypt) as (code: string, salt: Buffer, keylen: number) => Promise<Buffer>;
const hashOf = (code: string, salt: string) => scryptAsync(code, Buffer.from(salt, "base64"), 32);

/** POST …/handover-code: a new code for the buyer of a FUNDED escrow. */
export async function issueHandoverCode(
  deps: StoreDeps,
  ref: EscrowRef,
  actorId: string,
): Promise<{ code: string; expiresAt: string }> {
  const record = await load(deps, ref);
  const state = fold(record.terms, record.history);
  if (actorId !== state.buyerId)
    throw new ForbiddenError("Only the buyer of this escrow may ask for a handover code.");
  if (!kindOf(state).handover)
    throw new InvalidTransitionError(`A ${state.kind} escrow has no in-person handover.`);
  if (state.status !== "FUNDED" || state.pending)
    throw new InvalidTransitionError(`A handover code is for a FUNDED escrow; this one is ${state.status}.`);
  const code = String(randomInt(0, 10 ** HANDOVER.digits)).padStart(HANDOVER.digits, "0");
  const salt = randomBytes(16).toString("base64");
  const expiresAt = new Date(deps.now().getTime() + HANDOVER.validSeconds * 1000).toISOString();
  await deps.store.handover.put(ref.tenantId, ref.escrowId, {
    id: randomBytes(8).toString("hex"),
    salt,
    hash: (await hashOf(code, salt)).toString("base64"),
    expiresAt,
    wrong: 0,
    used: false,
  });
  return { code, expiresAt };
}

/**
 * A `delivery` with a handover code: the action must be allowed first (400,
 * 403, 409 as any delivery), then the code must be the escrow's current one,
 * unexpired and unused (422 otherwise, counting a wrong attempt). Checking it
 * uses nothing up: the code is used up only once the delivery is recorded
 * (`useHandoverCode`), so a delivery that answered 503 or 409 leaves it valid
 * (API.md v1.2). Answers the code's record, to be used up.
 */
export async function checkHandoverCode(
  deps: { store: EscrowStore; now: () => Date },
  state: EscrowState,
  command: Parameters<typeof decideAction>[1] & { action: "delivery"; handoverCode?: string },
): Promise<HandoverRecord | null> {
  if (command.handoverCode === undefined) return null;
  decideAction(state, command, deps.now());
  const ref = { tenantId: state.tenantId, escrowId: state.id };
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await deps.store.handover.get(ref.tenantId, ref.escrowId);
    const usable =
      current !== null &&
      !current.used &&
      current.wrong < HANDOVER.maxWrong &&
      Date.parse(current.expiresAt) > deps.now().getTime();
    // The hash is computed whatever the code's state (a live code or none): how long the answer takes
    // tells nothing about whether a code is live.
    const right = await matches(command.handoverCode, current ?? DECOY);
    if (right && usable && current) return current;
    // Wrong, expired, used, voided or never issued: a wrong attempt against the current code.
    if (current && !current.used && current.wrong < HANDOVER.maxWrong)
      if (
        !(await deps.store.handover.update(ref.tenantId, ref.escrowId, current, { wrong: current.wrong + 1 }))
      )
        continue; // another attempt changed it meanwhile: look again
    throw new HandoverCodeInvalidError();
  }
  throw new HandoverCodeInvalidError();
}

/**
 * The delivery the code proved is recorded: the code is used up. A failure
 * here leaves it unused, harmlessly: the escrow is no longer FUNDED, so no
 * delivery can present it again.
 */
export async function useHandoverCode(
  deps: { store: EscrowStore },
  ref: EscrowRef,
  code: HandoverRecord,
): Promise<void> {
  await deps.store.handover.update(ref.tenantId, ref.escrowId, code, { used: true }).catch(() => false);
}

/** What a code is compared with when there is none: same work, never equal (its salt is random per start). */
const DECOY: HandoverRecord = {
  id: "decoy",
  salt: randomBytes(16).toString("base64"),
  hash: Buffer.alloc(32).toString("base64"),
  expiresAt: new Date(0).toISOString(),
  wrong: 0,
  used: true,
};

async function matches(code: string, record: HandoverRecord): Promise<boolean> {
  const expected = Buffer.from(record.hash, "base64");
  const given = await hashOf(code, record.salt);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
