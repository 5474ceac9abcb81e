import { decideAction, movementFor } from "./decide";
import { apply } from "./evolve";
import { acceptedAction, waitOf } from "./kinds/registry";
import { type EscrowState, isTerminal, type ReasonCode, type SettlementOutcome } from "./types";

/**
 * What ops see and decide beside the escrow's own transitions (API.md v1.2,
 * "Ops staff: who decided, and why"): who must act next, what a resolution
 * would move, and the limits of the notes. Pure: no I/O.
 */

/** Notes an escrow may have (API.md v1.2). */
export const MAX_NOTES = 200;
/** Assignment changes kept in the ops view's history (the oldest go first). */
export const MAX_ASSIGNMENT_HISTORY = 200;

export type WaitingFor = "buyer" | "seller" | "ops";

/**
 * Who must act next for the escrow to move other than by its deadline: the
 * party of the current wait, ops for a dispute or an escrow that needs them,
 * null while the service itself acts (a hold, an accepted outcome) or once
 * the escrow is terminal.
 */
export function waitingFor(state: EscrowState): WaitingFor | null {
  if (isTerminal(state.status)) return null;
  if (state.attention) return "ops";
  if (acceptedAction(state)) return null;
  return waitOf(state)?.party ?? null;
}

export interface ResolutionPreview {
  paidToSeller: number;
  refundedToBuyer: number;
  platformFee: number;
}

/**
 * What a resolution would move now, by the rules the resolution itself
 * follows: the same checks (and errors) as deciding it, then the movement its
 * pending outcome would make. An escrow that never held money moves nothing.
 */
export function previewResolution(
  state: EscrowState,
  command: { outcome: SettlementOutcome; refundAmount?: number; reasonCode?: ReasonCode; note?: string },
  now: Date,
): ResolutionPreview {
  const draft = decideAction(state, { action: "resolution", ...command, note: command.note ?? "" }, now);
  const { state: decided } = apply(state, draft, now);
  const moved = movementFor(decided, now.toISOString());
  return {
    paidToSeller: moved?.paidToSeller ?? 0,
    refundedToBuyer: moved?.refundedToBuyer ?? 0,
    platformFee: moved?.platformFee ?? 0,
  };
}
