import type { Entry } from "../../../functions/domain/escrow";

/**
 * The events a marketplace is owed (API.md "Events", v1.1's kinds and
 * v1.2's "every history entry that the events route lists as a transition
 * is published as an event, on every path"): which entry is announced as
 * which event type. Written from API.md, not from the service's own table.
 */
export function owedEvent(entry: Entry): string | null {
  switch (entry.type) {
    case "funded":
    case "delivered":
    case "extended":
    case "refund_requested":
    case "disputed":
    case "released":
    case "refunded":
    case "settled":
    case "moved_out":
    case "lease_renewed":
    case "deductions_claimed":
    case "partially_settled":
    case "reserved":
    case "inspected":
    case "evidence_requested":
      return `escrow.${entry.type}`;
    case "payment_failed":
    case "cancelled":
      return "escrow.cancelled";
    case "refund_rejected":
    case "claim_rejected":
      return "escrow.disputed";
    case "window_elapsed":
      // The lease ending by itself is a move-out; other windows are announced by the outcome that follows.
      return entry.data.window === "lease" ? "escrow.moved_out" : null;
    default:
      return null;
  }
}

/** Events published for a version whose entry does not announce that (an event about something that did not happen). */
export function unfoundedEvents(history: readonly Entry[], published: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const p of published) {
    const m = /^(escrow\.[a-z_]+)@(\d+)$/.exec(p);
    if (!m || m[1] === "escrow.deadline_approaching" || m[1] === "escrow.evidence_added") continue;
    const entry = history.find((e) => e.v === Number(m[2]));
    if (!entry || owedEvent(entry) !== m[1])
      out.push(`${m[1]} published for version ${m[2]} (${entry?.type ?? "none"})`);
  }
  return out;
}
