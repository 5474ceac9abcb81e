import type { EscrowState } from "../../../functions/domain/types";
import type { Movement } from "../ports/provider";

/**
 * The provider's ledger against the record. The provider may be ahead of the
 * record only by what is in flight: a hold being taken (before the record
 * says FUNDED or RESERVED, or while a car's balance is due) and, once the
 * record says it is settling, the money that is held; it is never behind.
 * Once nothing is in flight they are equal, movement type by movement type,
 * and in a terminal status the provider holds nothing.
 */

export interface Sums {
  holds: number;
  voids: number;
  payout: number;
  fee: number;
  refund: number;
}

export function sumsOf(movements: readonly Movement[]): Sums {
  const s: Sums = { holds: 0, voids: 0, payout: 0, fee: 0, refund: 0 };
  for (const m of movements) {
    if (m.type === "hold") s.holds += m.amount;
    else if (m.type === "void") s.voids += m.amount;
    else s[m.type] += m.amount;
  }
  return s;
}

const TERMINAL = new Set(["RELEASED", "REFUNDED", "SETTLED", "CANCELLED"]);

export function moneyViolations(state: EscrowState, movements: readonly Movement[]): string[] {
  const out: string[] = [];
  const p = sumsOf(movements);
  const paid = state.disbursements.reduce((t, d) => t + d.paidToSeller, 0);
  const fee = state.disbursements.reduce((t, d) => t + d.platformFee, 0);
  const refunded = state.disbursements.reduce((t, d) => t + d.refundedToBuyer, 0);
  const recordHeld = state.funded - paid - fee - refunded;
  const providerIn = p.holds - p.voids;
  const providerHeld = providerIn - p.payout - p.fee - p.refund;

  // Conserved and never negative, on both sides.
  if (providerHeld < 0) out.push(`the provider paid out ${-providerHeld} more than it held`);
  if (recordHeld < 0) out.push(`the record paid out ${-recordHeld} more than it funded`);
  if (state.funded > state.amount)
    out.push(`the record funded ${state.funded} of an amount of ${state.amount}`);
  for (const d of state.disbursements)
    if (d.paidToSeller < 0 || d.platformFee < 0 || d.refundedToBuyer < 0)
      out.push(`a disbursement with a negative part: ${JSON.stringify(d)}`);
  if (TERMINAL.has(state.status) && recordHeld !== 0)
    out.push(`${state.status} with ${recordHeld} still held in the record`);

  // Never behind the record.
  for (const [type, provider, record] of [
    ["payout", p.payout, paid],
    ["fee", p.fee, fee],
    ["refund", p.refund, refunded],
  ] as const)
    if (provider < record)
      out.push(`the record says ${record} went out as ${type}; the provider moved ${provider}`);
  if (providerIn < state.funded)
    out.push(`the record says ${state.funded} is funded; the provider holds ${providerIn}`);

  // Ahead only by what is in flight.
  const holdInFlight =
    state.status === "PENDING_FUNDS"
      ? (state.deposit ?? state.amount)
      : state.balanceDue
        ? state.amount - state.funded
        : 0;
  if (providerIn - state.funded > holdInFlight)
    out.push(`the provider holds ${providerIn - state.funded} the record never counted as funded`);
  const ahead = p.payout - paid + (p.fee - fee) + (p.refund - refunded);
  const moving = state.settling && !TERMINAL.has(state.status) ? recordHeld : 0;
  if (ahead > moving)
    out.push(
      `the provider moved ${ahead} more than the record says (payout ${p.payout}/${paid}, fee ${p.fee}/${fee}, refund ${p.refund}/${refunded})${state.settling ? "" : " with nothing settling"}`,
    );
  if (TERMINAL.has(state.status) && providerHeld !== 0)
    out.push(`${state.status}, yet the provider still holds ${providerHeld}`);
  return out;
}
