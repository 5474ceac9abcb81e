import { DAY } from "../domain/windows";
import type { EscrowStore, IdempotencyRecord } from "../ports/escrow-store";
import { logger } from "../shared/logger";

/** Replays are kept this long (API.md: 24 hours). */
export const IDEMPOTENCY_TTL_SECONDS = DAY;

/**
 * Writes a completed request's answer under its key's hash, for replays. A
 * failure is logged, not raised: the request's effect is recorded with its
 * key's tag, so answering 503 now would say it changed nothing, and a retry
 * with the key finds the tag and answers as this request does.
 */
export async function rememberAnswer(
  deps: { store: EscrowStore; now: () => Date },
  tenantId: string,
  kHash: string,
  record: Omit<IdempotencyRecord, "expiresAt">,
): Promise<void> {
  const expiresAt = Math.floor(deps.now().getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS;
  try {
    await deps.store.idempotency.put(tenantId, kHash, { ...record, expiresAt });
  } catch (error) {
    logger.warn("the completion record was not written; the key's entry stands in for it", {
      escrowId: record.escrowId,
      error: String(error),
    });
  }
}
