import { NotFoundError } from "../domain/errors";
import type { EscrowRecord, EscrowStore } from "../ports/escrow-store";

/**
 * An escrow a reader may see: not a creation that no answer has confirmed
 * (API.md v1.2: a create that answered 503 leaves nothing behind — it is not
 * readable or listed, and no event about it is ever published).
 */
export const readable = (record: EscrowRecord | null): record is EscrowRecord =>
  record !== null && record.marks?.provisional !== true;

/** The escrow as readers see it, or 404. */
export async function readEscrow(
  deps: { store: Pick<EscrowStore, "escrows"> },
  tenantId: string,
  escrowId: string,
): Promise<EscrowRecord> {
  const record = await deps.store.escrows.get(tenantId, escrowId);
  if (!readable(record)) throw new NotFoundError();
  return record;
}
