import type { EntryDraft } from "./entries";
import { InvalidTransitionError } from "./errors";
import { type EscrowState, isTerminal } from "./types";

/**
 * Ops' `resume` (API.md v1.2): for an escrow that needs ops attention whose
 * cause ops have dealt with (a payout the provider refused, now fixed at the
 * provider). The entry clears the flag (any later entry supersedes an
 * escalation); the workflow then carries on from the record.
 */
export function decideResume(state: EscrowState, note: string): EntryDraft {
  if (isTerminal(state.status))
    throw new InvalidTransitionError(`The escrow is ${state.status}; there is nothing to resume.`);
  if (!state.attention)
    throw new InvalidTransitionError("The escrow does not need ops attention; there is nothing to resume.");
  return { type: "resumed", actor: "ops", data: { note } };
}
