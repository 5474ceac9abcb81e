import { windowKeysOf } from "../../../functions/domain/kinds/registry";
import type { EscrowKind } from "../../../functions/domain/types";
import type { Random } from "../kernel/random";

/**
 * The deals the marketplace makes: every kind, with windows of every length
 * (a second to the 90-day maximum, reminders on and off), leases up to the
 * five-year maximum that start in the past or the future, cars with and
 * without a forfeitable deposit, and payment methods that are declined or
 * unavailable now and then.
 */

export interface Deal {
  n: number;
  kind: EscrowKind;
  buyerId: string;
  sellerId: string;
  createKey: string;
  createBody: Record<string, unknown>;
  escrowId: string | null;
  /** Handover codes the buyer was given, newest last. */
  codes: { code: string; at: number }[];
  /** The action the deal is on (no two scheduled at once). */
  busy: boolean;
  retired: boolean;
  strayRequests: number;
}

const DAY = 86_400;
const VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789";

export const KIND_WEIGHTS: Record<EscrowKind, number> = {
  goods: 35,
  service: 15,
  rental_deposit: 25,
  vehicle: 25,
};

/** A window: mostly short enough that many of them end within a run, some as long as allowed. */
export const windowLength = (r: Random): number =>
  r.weighted({ short: 50, medium: 35, long: 15 }) === "short"
    ? r.logUniform(1, 3_600)
    : r.chance(0.7)
      ? r.logUniform(3_600, 7 * DAY)
      : r.logUniform(7 * DAY, 90 * DAY);

/** A kind's windows, as its module lists them, but the reminder's (drawn on its own). */
const windowsToDraw = (kind: EscrowKind) => windowKeysOf(kind).filter((w) => w !== "reminderSeconds");

export function newDeal(
  r: Random,
  n: number,
  now: number,
  kinds: Record<EscrowKind, number> = KIND_WEIGHTS,
): Deal {
  const kind = r.weighted(kinds);
  const amount = r.chance(0.1) ? r.int(1, 100) : r.int(100, 10_000_000);
  const windows: Record<string, number> = {};
  for (const w of windowsToDraw(kind)) if (r.chance(0.85)) windows[w] = windowLength(r);
  if (r.chance(0.7)) windows.reminderSeconds = r.chance(0.3) ? 0 : r.logUniform(1, 7 * DAY);
  const body: Record<string, unknown> = {
    kind,
    buyerId: `buyer-${n}`,
    sellerId: `seller-${n}`,
    amount,
    currency: r.pick(["CNY", "USD", "EUR", "JPY"]),
    fee: r.chance(0.2) ? 0 : r.int(0, Math.floor(amount / 10)),
    paymentMethod: r.weighted({
      pm_sandbox_ok: 90,
      pm_sandbox_decline: 4,
      pm_sandbox_unavailable: 3,
      pm_sandbox_visa: 3,
    }),
    windows,
  };
  if (kind === "rental_deposit") {
    const ends = now + r.logUniform(60, 5 * 365 * DAY - DAY) * 1000;
    const starts = r.chance(0.5)
      ? now - r.logUniform(60, 365 * DAY) * 1000
      : now + r.int(1, Math.max(1, (ends - now) / 1000 - 1)) * 1000;
    body.lease = { startsAt: iso(Math.min(starts, ends - 1000)), endsAt: iso(ends) };
  }
  if (kind === "vehicle") {
    body.amount = Math.max(2, amount);
    body.deposit = r.int(1, (body.amount as number) - 1);
    body.depositForfeitable = r.chance(0.5);
    body.vehicle = { vin: Array.from({ length: 17 }, () => r.pick([...VIN_CHARS])).join("") };
  }
  return {
    n,
    kind,
    buyerId: body.buyerId as string,
    sellerId: body.sellerId as string,
    createKey: `create-${n}`,
    createBody: body,
    escrowId: null,
    codes: [],
    busy: false,
    retired: false,
    strayRequests: 0,
  };
}

const iso = (ms: number) => new Date(Math.round(ms / 1000) * 1000).toISOString();
export const isoAt = iso;
