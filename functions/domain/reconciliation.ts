import { acceptedAction } from "./kinds/registry";
import { reminderMark } from "./reminders";
import { type EscrowState, isTerminal } from "./types";
import { addSeconds, DAY } from "./windows";

/**
 * How long the workflow may take to act on its own before the reconciler
 * looks: a hold, a settlement or a signal normally completes within seconds.
 */
export const RECONCILE_GRACE_SECONDS = 60;

/**
 * A creation no answer confirmed (its write's outcome was unknown, the API
 * answered 503, and the key was never retried) is let go after the
 * idempotency window: until then a retry with its key starts it, after it the
 * reconciler removes it. Nothing is held for it meanwhile, it is not readable
 * and no event is published about it: the API starts a new escrow's workflow
 * only once it knows the escrow exists.
 */
export const UNCONFIRMED_CREATION_SECONDS = DAY + RECONCILE_GRACE_SECONDS;

/**
 * A step that has not moved for this long is a dependency failing, not a
 * hiccup: ops are told once (`escrow.dependency_failing`), and again when it
 * moves (`escrow.dependency_recovered`). It is retried all the same, forever.
 */
export const DEPENDENCY_ALERT_AFTER_SECONDS = 15 * 60;

/**
 * What the escrow item keeps beside its terms and history for the
 * reconciler (ARCHITECTURE.md v1.2 decision 1): none of it is a transition,
 * so none of it moves `version`. Every write of these bumps `mv`, and a
 * transition is conditioned on the `mv` it read, so it never overwrites a
 * newer mark.
 */
export interface EscrowMarks {
  /** The escrow's one due mark: when the reconciler must look (null: terminal, nothing owed). */
  due: string | null;
  mv: number;
  /** The execution the record names as the one that carries the escrow (null: the first, named after it). */
  execution: string | null;
  /** The current wait is parked in the record: no execution holds it; its deadline is due as such. */
  parked: boolean;
  /** The deadline whose reminder has been published (one reminder per deadline). */
  reminded: string | null;
  /** The workflow may not have been handed the record's latest step (a refused signal or start). */
  requested: boolean;
  /** An event may not have been published (the workflow's events from the wait's `published` on). */
  owed: boolean;
  /** A piece of evidence's event may not have been published. */
  evidenceOwed: boolean;
  /** A creation not yet confirmed: no answer said 201 yet (not readable, not listed, nothing held). */
  provisional: boolean;
  /** A step that has not moved since `since`, at `version`; `alerted` once ops were told. */
  stall: { version: number; since: string; alerted: boolean } | null;
}

export const NO_MARKS: EscrowMarks = {
  due: null,
  mv: 0,
  execution: null,
  parked: false,
  reminded: null,
  requested: false,
  owed: false,
  evidenceOwed: false,
  provisional: false,
  stall: null,
};

/**
 * When the escrow's record must have moved by, if the workflow does its
 * work (null: terminal, or nothing is expected of the workflow): a hold or an
 * accepted outcome within the grace; a wait by its deadline plus the grace (a
 * parked wait at its deadline: nothing else ends it); an escrow parked for
 * ops at its deadline.
 */
export function expectedBy(state: EscrowState, marks: Pick<EscrowMarks, "parked">): string | null {
  if (isTerminal(state.status)) return null;
  // Parked for ops: nothing is expected of the service until they act (a resume or a resolution marks it
  // again); no dependency is failing, so none is reported, and nothing is visited meanwhile.
  if (state.attention) return null;
  if (acceptedAction(state)) return addSeconds(state.updatedAt, RECONCILE_GRACE_SECONDS);
  if (state.status === "PENDING_FUNDS") return addSeconds(state.createdAt, RECONCILE_GRACE_SECONDS);
  if (state.deadline !== null)
    return marks.parked ? state.deadline : addSeconds(state.deadline, RECONCILE_GRACE_SECONDS);
  return addSeconds(state.updatedAt, RECONCILE_GRACE_SECONDS);
}

/**
 * The escrow's one due mark, as a write at `at` leaves it: the soonest of
 * when the record must have moved by, its current wait's reminder, and — when
 * something is owed or asked for (an event, a signal, a recovered stall) —
 * `at` itself.
 */
export function dueOf(
  state: EscrowState,
  marks: EscrowMarks,
  at: string,
  reminderEarlySeconds = 0,
): string | null {
  const now = new Date(at);
  // A hand-over asked for is moot once the escrow is terminal: nothing is left for the workflow to do.
  const requested = marks.requested && !isTerminal(state.status);
  const wanted = requested || marks.owed || marks.evidenceOwed || marks.stall?.alerted ? at : null;
  return earliest(
    wanted,
    expectedBy(state, marks),
    isTerminal(state.status) ? null : reminderMark(state, marks.reminded, now, reminderEarlySeconds),
  );
}

/** The soonest of ISO times (they compare as strings), or null when there are none. */
const earliest = (...times: (string | null)[]): string | null => {
  const known = times.filter((t): t is string => t !== null).sort();
  return known[0] ?? null;
};
