import { type StepNotices, stepAt } from "../domain/workflow-step";
import type { EscrowRecord } from "../ports/escrow-store";
import type { EventPublisher } from "../ports/events";
import type { EscrowRef, StoreDeps } from "./transact";

/**
 * Publishing what the workflow's steps announce (escrow events and ops
 * alerts). Notifications never move money: a publish that fails never undoes
 * a step; the escrow is marked so that the reconciler publishes what is owed
 * (every event after the wait's `published` watermark, with the same ids).
 */

type AnnounceDeps = StoreDeps & { events: Pick<EventPublisher, "publish" | "alert"> };

/**
 * Asks the reconciler to publish what may be owed. A failure to ask fails the
 * caller: a settled escrow has no other mark, so the task (or the reconciler's
 * visit) must be retried until either the publish or the ask succeeds.
 */
export async function owe(deps: StoreDeps, ref: EscrowRef): Promise<void> {
  await deps.store.marks.requestVisit(ref.tenantId, ref.escrowId, deps.now().toISOString(), { owed: true });
}

/**
 * Publishes one step's notices; on failure the escrow is marked and false is
 * answered (and when marking fails too, that error is thrown).
 */
export async function announce(deps: AnnounceDeps, ref: EscrowRef, notices: StepNotices): Promise<boolean> {
  try {
    if (notices.alert) await deps.events.alert(notices.alert);
    if (notices.event) await deps.events.publish(notices.event);
    return true;
  } catch {
    await owe(deps, ref);
    return false;
  }
}

/**
 * Publishes, in order, what the steps after version `from` up to `to`
 * announce. Stops at the first failure (the escrow is marked: the rest is
 * owed) and answers the highest version whose notices are all out.
 */
export async function announceSteps(
  deps: AnnounceDeps,
  ref: EscrowRef,
  record: EscrowRecord,
  from: number,
  to: number,
  options: { alerts?: boolean } = {},
): Promise<number> {
  let published = from;
  for (let v = from + 1; v <= to; v++) {
    const step = stepAt(record.terms, record.history, v, deps.now());
    // A wait announces events only: an alert is its task's to publish (owed to the reconciler if it failed).
    const notices = options.alerts === false ? { event: step.event, alert: null } : step;
    if (!(await announce(deps, ref, notices))) break;
    published = v;
  }
  return published;
}
