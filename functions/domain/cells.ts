import { createHash } from "node:crypto";

/**
 * Cells (README, "Cost and scale"): the service is deployed as several
 * identical stacks, each in an account and Region of its own, and a cell is
 * named by a short id (`cdk deploy -c cellId=c2`). An escrow id carries the
 * cell that made it — `esc_<cell>_<26 digits>` — so a router in front sends
 * every request about an escrow to its cell without a lookup. Ids issued
 * before cells (`esc_<26 digits>`, and every id of a stack deployed without
 * a cell id) belong to the home cell: they still parse and route.
 */
export const CELL_ID = /^[a-z][a-z0-9]{0,7}$/;
/** The cell of ids without one: the first deployment, and any stack deployed without `cellId`. */
export const HOME_CELL = "home";

const ID = /^esc_(?:([a-z][a-z0-9]{0,7})_)?[0-9A-HJKMNP-TV-Z]{26}$/;

/** The cell an escrow id was made in (HOME_CELL for an id without one), or null for no escrow id at all. */
export function cellOfEscrowId(id: string): string | null {
  const m = ID.exec(id);
  if (!m) return null;
  return m[1] ?? HOME_CELL;
}

/** The id's prefix in a cell: `esc_<cell>_` (none in the home cell, whose ids keep their first form). */
export function escrowIdPrefix(cellId: string | null | undefined): string {
  if (!cellId || cellId === HOME_CELL) return "esc_";
  if (!CELL_ID.test(cellId))
    throw new Error(`cell id ${cellId}: a lower-case letter, then up to 7 letters or digits`);
  return `esc_${cellId}_`;
}

/**
 * Where a creation goes: the cell, of those open for creations, that scores
 * highest for the tenant and the Idempotency-Key (rendezvous hashing). A retry
 * of the same creation goes to the same cell while the set is unchanged;
 * adding a cell moves only the keys the new cell wins (about 1/n), and the
 * router sends a creation whose cell changed to the cell of its earlier
 * answer when it has one (see README: within the 24-hour idempotency window,
 * it asks the old cell for the id that cell would have made).
 */
export function cellForCreation(tenantId: string, idempotencyKey: string, cells: readonly string[]): string {
  if (cells.length === 0) throw new Error("no cell is open for creations");
  let best = cells[0] as string;
  let bestScore = -1n;
  for (const cell of cells) {
    const score = createHash("sha256")
      .update(`cell\u0000${cell}\u0000${tenantId}\u0000${idempotencyKey}`)
      .digest()
      .readBigUInt64BE(0);
    if (score > bestScore) {
      best = cell;
      bestScore = score;
    }
  }
  return best;
}

/** Where any request about an existing escrow goes: the cell its id names. */
export function cellForEscrow(escrowId: string): string {
  const cell = cellOfEscrowId(escrowId);
  if (cell === null) throw new Error(`${escrowId} is not an escrow id`);
  return cell;
}
