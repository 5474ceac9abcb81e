import { type Answer, Api } from "../client";

/** What the record dictates, and the checks that hold the provider's ledger and the published events to it. */
export const TERMINAL = new Set(["RELEASED", "REFUNDED", "SETTLED", "CANCELLED"]);
export const TERMINAL_ENTRIES = new Set(["released", "refunded", "settled", "cancelled", "payment_failed"]);

/** API.md "Events": each event announced to marketplaces, and the history entries announced as it. */
const ENTRIES_OF_EVENT: Record<string, string[]> = {
  "escrow.funded": ["funded"],
  "escrow.cancelled": ["payment_failed", "cancelled"],
  "escrow.delivered": ["delivered"],
  "escrow.extended": ["extended"],
  "escrow.refund_requested": ["refund_requested"],
  "escrow.disputed": ["disputed", "refund_rejected", "claim_rejected"],
  "escrow.released": ["released"],
  "escrow.refunded": ["refunded"],
  "escrow.settled": ["settled"],
  // rental deposits and cars (API.md, the kinds' events)
  "escrow.moved_out": ["moved_out"],
  "escrow.lease_renewed": ["lease_renewed"],
  "escrow.deductions_claimed": ["deductions_claimed"],
  "escrow.partially_settled": ["partially_settled"],
  "escrow.reserved": ["reserved"],
  "escrow.inspected": ["inspected"],
  "escrow.evidence_requested": ["evidence_requested"],
};
/** The history entries announced, and as what. */
export const EVENT_OF_ENTRY: Record<string, string> = Object.fromEntries(
  Object.entries(ENTRIES_OF_EVENT).flatMap(([event, entries]) => entries.map((entry) => [entry, event])),
);

/** The id API.md promises on every delivery of an event: stable per escrow and version. */
export const eventIdOf = (escrowId: string, version: number) => `evt_${escrowId.slice(4)}_${version}`;

export interface HistoryItem {
  at: string;
  type: string;
  actor: string;
  data: Record<string, any>;
  version: number;
}

export interface LedgerItem {
  id: string;
  escrowId: string;
  type: string;
  amount: number;
  key: string;
  at: string;
}

export interface Notification {
  messageId: string;
  attributes: Record<string, string>;
  event: any;
}

/** The events an escrow's history says must have been published: id and type per announced entry. */
export function expectedEvents(escrowId: string, history: HistoryItem[]): { id: string; type: string }[] {
  return history
    .filter((h) => EVENT_OF_ENTRY[h.type])
    .map((h) => ({ id: eventIdOf(escrowId, h.version), type: EVENT_OF_ENTRY[h.type] as string }));
}

/**
 * Holds the published events to the history: every expected event published
 * (`missing` lists those never published), every delivery of one id carrying
 * the same body (`inconsistent`), and nothing published that the history does
 * not announce (`unexpected`).
 */
export function checkEvents(escrowId: string, history: HistoryItem[], notes: Notification[]) {
  const expected = expectedEvents(escrowId, history);
  const bodies = new Map<string, string[]>();
  for (const n of notes) {
    const id = String(n.event?.id);
    bodies.set(id, [...(bodies.get(id) ?? []), JSON.stringify(n.event)]);
  }
  const missing = expected.filter((e) => !bodies.has(e.id)).map((e) => `${e.type} (${e.id})`);
  const inconsistent: string[] = [];
  for (const [id, list] of bodies) if (new Set(list).size > 1) inconsistent.push(id);
  const byId = new Map(expected.map((e) => [e.id, e.type]));
  const unexpected = notes
    .filter(
      (n) =>
        byId.get(n.event?.id) !== n.event?.type ||
        n.attributes?.type !== n.event?.type ||
        n.event?.escrowId !== escrowId,
    )
    .map((n) => `${n.event?.type} (${n.event?.id})`);
  const deliveries = notes.length;
  const most = Math.max(0, ...[...bodies.values()].map((list) => list.length));
  return { expected, missing, inconsistent, unexpected, deliveries, distinct: bodies.size, most };
}

/**
 * Holds the provider's ledger to the record (API.md, local mode): every key
 * once; Σhold − Σvoid − Σpayout − Σfee − Σrefund is what the record still
 * holds (0 in a terminal status, `amount` while funded); payouts, fees and
 * refunds add up to the settlement. Returns the problems found (none: []).
 */
export function checkLedger(escrow: any, ledger: LedgerItem[]): string[] {
  const problems: string[] = [];
  const keys = new Map<string, number>();
  for (const m of ledger) keys.set(m.key, (keys.get(m.key) ?? 0) + 1);
  for (const [key, n] of keys) if (n > 1) problems.push(`key ${key} recorded ${n} times`);
  const sum = (type: string) => ledger.filter((m) => m.type === type).reduce((s, m) => s + m.amount, 0);
  const [hold, release, payout, fee, refund] = ["hold", "void", "payout", "fee", "refund"].map(sum) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const heldAtProvider = hold - release - payout - fee - refund;
  const terminal = TERMINAL.has(escrow.status);
  const recordHeld =
    typeof escrow.held === "number"
      ? escrow.held
      : terminal || escrow.status === "PENDING_FUNDS"
        ? 0
        : escrow.amount;
  if (heldAtProvider !== recordHeld)
    problems.push(`the provider holds ${heldAtProvider}, the record ${recordHeld} (${escrow.status})`);
  const s = escrow.settlement ?? { paidToSeller: 0, platformFee: 0, refundedToBuyer: 0 };
  if (payout !== s.paidToSeller) problems.push(`payouts ${payout} ≠ paidToSeller ${s.paidToSeller}`);
  if (fee !== s.platformFee) problems.push(`fees ${fee} ≠ platformFee ${s.platformFee}`);
  if (refund !== s.refundedToBuyer) problems.push(`refunds ${refund} ≠ refundedToBuyer ${s.refundedToBuyer}`);
  // What was ever held: the amount, or a car's deposit alone when its balance was never held.
  const funded = typeof escrow.funded === "number" ? escrow.funded : escrow.amount;
  if (escrow.settlement && s.paidToSeller + s.platformFee + s.refundedToBuyer !== funded)
    problems.push(
      `the settlement adds up to ${s.paidToSeller + s.platformFee + s.refundedToBuyer}, ${funded} was held`,
    );
  if (terminal && escrow.status !== "CANCELLED" && !escrow.settlement)
    problems.push(`${escrow.status} without a settlement`);
  return problems;
}

/**
 * The terminal status the record dictates, where the history decides one: the
 * outcome an accepted action or an elapsed window made pending, or the
 * failure of the hold. Null when nothing is decided yet.
 */
export function dictatedStatus(history: HistoryItem[]): string | null {
  if (history.some((h) => h.type === "payment_failed" || h.type === "cancelled")) return "CANCELLED";
  const outcome = [...history].reverse().find((h) => typeof h.data?.outcome === "string")?.data.outcome;
  return outcome === "release"
    ? "RELEASED"
    : outcome === "refund"
      ? "REFUNDED"
      : outcome === "split"
        ? "SETTLED"
        : null;
}

/** Whether a settlement's sums fit its status (RELEASED: nothing back to the buyer, and so on). */
export function statusFitsSettlement(escrow: any): boolean {
  const s = escrow.settlement;
  if (!s) return escrow.status === "CANCELLED" || !TERMINAL.has(escrow.status);
  const seller = s.paidToSeller + s.platformFee;
  if (escrow.status === "RELEASED") return s.refundedToBuyer === 0;
  if (escrow.status === "REFUNDED") return seller === 0;
  if (escrow.status === "SETTLED") return s.refundedToBuyer > 0 && seller > 0;
  return false;
}

// ---------------------------------------------------------------- a client that keeps every answer

/** The e2e client, counting the API's answers by status (a 500 is a bug: API.md allows only 2xx or 503 while a dependency fails). */
export class RecordingApi extends Api {
  readonly statuses = new Map<number, number>();
  readonly answers500: string[] = [];
  networkErrors = 0;

  override async call<T = any>(
    method: string,
    path: string,
    options: Parameters<Api["call"]>[2] = {},
  ): Promise<Answer<T>> {
    let answer: Answer<T>;
    try {
      answer = await super.call<T>(method, path, options);
    } catch (error) {
      this.networkErrors++;
      throw error;
    }
    if (!path.startsWith("/v1/")) return answer;
    this.statuses.set(answer.status, (this.statuses.get(answer.status) ?? 0) + 1);
    if (answer.status === 500) this.answers500.push(`${method} ${path}: ${JSON.stringify(answer.body)}`);
    return answer;
  }
}
