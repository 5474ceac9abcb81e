import { kindNames } from "./kinds/names";
import { acceptedAction, waitOf } from "./kinds/registry";
import { type EscrowState, isTerminal } from "./types";
import { addSeconds, DEFAULT_REMINDER_SECONDS } from "./windows";

/**
 * Reminders (API.md v1.1): before a wait ends by itself against someone, the
 * party who must act is told once, `windows.reminderSeconds` before the
 * deadline. A reminder is a pure function of the escrow as it stands: the
 * reconciler publishes it from the record when its time comes, so a deadline
 * that moved has its own, and a wait that ended has none.
 */

export type ReminderParty = "buyer" | "seller" | "ops";
export const OUTCOMES_IF_SILENT = ["release", "refund", "accept_refund", ...kindNames("ifSilent")] as const;
export type OutcomeIfSilent = (typeof OUTCOMES_IF_SILENT)[number];

export interface Reminder {
  deadline: string;
  party: ReminderParty;
  outcomeIfSilent: OutcomeIfSilent;
}

/** A reminder and when it is due. */
export interface PlannedReminder {
  reminder: Reminder;
  at: string;
}

export const reminderSecondsOf = (state: Pick<EscrowState, "windows">): number =>
  state.windows.reminderSeconds ?? DEFAULT_REMINDER_SECONDS;

/** Who must act in the current wait, and what happens when no one does (the kind's wait). */
function partyAndOutcome(state: EscrowState): Omit<Reminder, "deadline"> | null {
  const wait = waitOf(state);
  if (!wait) return null;
  const { party, ifSilent } = wait;
  return { party, outcomeIfSilent: typeof ifSilent === "function" ? ifSilent(state) : ifSilent };
}

/**
 * The reminder of the escrow's current wait, or null: no wait runs (terminal,
 * an accepted action pending, waiting for ops after a failure), reminders are
 * off, or the wait is shorter than twice the lead.
 */
export function reminderOf(state: EscrowState): PlannedReminder | null {
  const lead = reminderSecondsOf(state);
  const { deadline, waitingSince } = state;
  if (lead === 0 || deadline === null || waitingSince === null) return null;
  if (isTerminal(state.status) || acceptedAction(state) || state.attention) return null;
  if (Date.parse(deadline) - Date.parse(waitingSince) < 2 * lead * 1000) return null;
  const who = partyAndOutcome(state);
  if (!who) return null;
  return { reminder: { deadline, ...who }, at: addSeconds(deadline, -lead) };
}

/**
 * The reminder to publish now: its time has come (up to `earlySeconds`
 * before it, for a reconciler that runs only every so often: early rather
 * than never), its deadline has not passed, and it was not sent already
 * (`sentFor`: the deadline last reminded).
 */
export function reminderDue(
  state: EscrowState,
  now: Date,
  sentFor: string | null,
  earlySeconds = 0,
): PlannedReminder | null {
  const planned = reminderOf(state);
  if (!planned || planned.reminder.deadline === sentFor) return null;
  const t = now.getTime();
  if (t < Date.parse(planned.at) - earlySeconds * 1000 || t >= Date.parse(planned.reminder.deadline))
    return null;
  return planned;
}

/**
 * When the reconciler should publish the current wait's reminder (not before
 * now; `earlySeconds` ahead of its time, see reminderDue), or null: none is owed.
 */
export function reminderMark(
  state: EscrowState,
  reminded: string | null,
  now: Date,
  earlySeconds = 0,
): string | null {
  const planned = reminderOf(state);
  if (!planned || planned.reminder.deadline === reminded) return null;
  if (Date.parse(planned.reminder.deadline) <= now.getTime()) return null;
  return new Date(Math.max(Date.parse(planned.at) - earlySeconds * 1000, now.getTime())).toISOString();
}
