import type { Entry, EntryType } from "./escrow";
import { toView } from "./escrow";
import { kindNames } from "./kinds/names";
import { elapsedOf, ownEntry } from "./kinds/registry";
import type { Reminder } from "./reminders";
import type { EscrowState, EscrowView, EvidenceItem, EvidenceRequest, OpsUser } from "./types";

/** The events every kind may publish, then each kind's own (its module's names.ts). */
export const EVENT_TYPES = [
  "escrow.funded",
  "escrow.cancelled",
  "escrow.delivered",
  "escrow.extended",
  "escrow.refund_requested",
  "escrow.disputed",
  "escrow.released",
  "escrow.refunded",
  "escrow.settled",
  "escrow.partially_settled",
  "escrow.evidence_added",
  "escrow.evidence_requested",
  "escrow.deadline_approaching",
  ...kindNames("events"),
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Which history entries every kind may record are announced to the marketplace, and as what (a kind's own: its module). */
const EVENT_OF: Partial<Record<EntryType, EventType>> = {
  funded: "escrow.funded",
  payment_failed: "escrow.cancelled",
  cancelled: "escrow.cancelled",
  delivered: "escrow.delivered",
  extended: "escrow.extended",
  refund_requested: "escrow.refund_requested",
  disputed: "escrow.disputed",
  refund_rejected: "escrow.disputed",
  released: "escrow.released",
  refunded: "escrow.refunded",
  settled: "escrow.settled",
  partially_settled: "escrow.partially_settled",
  evidence_requested: "escrow.evidence_requested",
};

export interface EscrowEvent {
  id: string;
  type: EventType;
  occurredAt: string;
  tenantId: string;
  escrowId: string;
  escrow: EscrowView;
  /** An event an ops action caused (API.md v1.2): `actor: "ops"` and the ops user who acted. */
  actor?: "ops";
  opsUser?: OpsUser;
  /** escrow.evidence_added: the item added. */
  evidence?: EvidenceItem;
  /** escrow.evidence_requested: what ops asked for. */
  evidenceRequest?: EvidenceRequest;
  /** escrow.deadline_approaching: which deadline, who must act, and what happens if no one does. */
  reminder?: Reminder;
}

/** Stable per escrow and version, so a repeated delivery carries the same id. */
export const eventId = (escrowId: string, version: number): string => `evt_${escrowId.slice(4)}_${version}`;

/** The event an entry announces, built from the escrow as it was right after it (`state`). */
export function eventFor(entry: Entry, state: EscrowState): EscrowEvent | null {
  // A window whose ending moves the escrow on by itself (a lease's end) is announced as that move.
  const type =
    entry.type === "window_elapsed"
      ? elapsedOf(state, entry.data.window)?.event
      : (EVENT_OF[entry.type] ?? ownEntry(entry.type)?.event);
  if (!type) return null;
  return {
    id: eventId(state.id, entry.v),
    type,
    occurredAt: entry.at,
    tenantId: state.tenantId,
    escrowId: state.id,
    escrow: toView(state),
    ...causedByOps(entry, state),
    ...(entry.type === "evidence_requested" ? { evidenceRequest: { ...entry.data } } : {}),
  };
}

/** The entries that carry out an ops resolution: its money moving (or, before any hold, the cancellation). */
const SETTLEMENT_ENTRIES: ReadonlySet<string> = new Set(["released", "refunded", "settled", "cancelled"]);

/**
 * Who among ops caused the event: the ops user of an ops action's own entry,
 * or — for the settlement that carries out a resolution — the one who decided
 * it (an escrow settles after a resolution only by that resolution).
 */
function causedByOps(entry: Entry, state: EscrowState): { actor?: "ops"; opsUser?: OpsUser } {
  if (entry.opsUser) return { actor: "ops", opsUser: entry.opsUser };
  if (SETTLEMENT_ENTRIES.has(entry.type) && state.resolution)
    return { actor: "ops", opsUser: state.resolution.decidedBy };
  return {};
}

/** `escrow.evidence_added`: stable per evidence item. */
export function evidenceEvent(state: EscrowState, evidence: EvidenceItem): EscrowEvent {
  return {
    id: `evt_${state.id.slice(4)}_${evidence.id}`,
    type: "escrow.evidence_added",
    occurredAt: evidence.at,
    tenantId: state.tenantId,
    escrowId: state.id,
    escrow: toView(state),
    evidence,
  };
}

/** `escrow.deadline_approaching`: one per deadline (its id names the deadline), whenever it is published. */
export function reminderEvent(state: EscrowState, reminder: Reminder, at: string): EscrowEvent {
  return {
    id: `evt_${state.id.slice(4)}_r${Date.parse(reminder.deadline).toString(36)}`,
    type: "escrow.deadline_approaching",
    occurredAt: at,
    tenantId: state.tenantId,
    escrowId: state.id,
    escrow: toView(state),
    reminder,
  };
}
