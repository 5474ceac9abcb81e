import type { EscrowKind } from "../../../functions/domain/types";
import type { Random } from "../kernel/random";
import type { RouteId } from "../wiring";
import { KIND_WEIGHTS } from "./deals";

/**
 * Swarm testing (Groce et al.): each seed leaves some features out and leans
 * on others — one or two kinds of deal only, some actions much more or less
 * likely, trouble right after money moves rare or frequent — so that across
 * seeds the simulation dwells on many different corners instead of
 * averaging them all away.
 */
export interface Swarm {
  kinds: Record<EscrowKind, number>;
  /** A factor on each action's weight. */
  bias: Partial<Record<RouteId, number>>;
  /** How often trouble strikes right after money moved. */
  strikeRate: number;
}

const BIASED: RouteId[] = [
  "RecordDelivery",
  "ConfirmReceipt",
  "RequestRefund",
  "RespondToRefund",
  "OpenDispute",
  "CancelEscrow",
  "MoveOut",
  "ClaimDeductions",
  "ReturnDeposit",
  "RespondToClaim",
  "InspectVehicle",
  "IssueHandoverCode",
  "ResolveEscrow",
];

export function drawSwarm(r: Random, strikeOff: boolean): Swarm {
  const all = Object.keys(KIND_WEIGHTS) as EscrowKind[];
  let kinds = { ...KIND_WEIGHTS };
  if (r.chance(0.5)) {
    const chosen = new Set([r.pick(all), r.pick(all)]);
    kinds = Object.fromEntries(all.map((k) => [k, chosen.has(k) ? 1 : 0])) as Record<EscrowKind, number>;
  }
  const bias: Partial<Record<RouteId, number>> = {};
  if (r.chance(0.6)) for (const route of BIASED) bias[route] = r.pick([0.2, 1, 1, 5]);
  return { kinds, bias, strikeRate: strikeOff ? 0 : r.pick([0, 0.02, 0.1, 0.3]) };
}
