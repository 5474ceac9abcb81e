/**
 * The escrow the tests create unless they say otherwise: API.md's example, a
 * second-hand bicycle for 129.99 CNY with a 3.90 fee, between BUYER and SELLER.
 */
export const BUYER = "u-1001";
export const SELLER = "u-2002";

export const BICYCLE = {
  amount: 12999,
  currency: "CNY",
  fee: 390,
  paymentMethod: "pm_sandbox_ok",
  description: "Second-hand bicycle",
  listingRef: "listing-88",
};

/** A create body: the bicycle between BUYER and SELLER, with `overrides`. */
export const order = <O extends object = object>(overrides: O = {} as O) => ({
  buyerId: BUYER,
  sellerId: SELLER,
  ...BICYCLE,
  ...overrides,
});

export const DAY = 86_400;

/** The ISO time `secondsFromNow` seconds from now (negative: in the past). */
export const iso = (secondsFromNow: number) => isoAt(Date.now(), secondsFromNow);

/** The ISO time `seconds` after `base` (epoch ms): tests that move the service's clock count from its time. */
export const isoAt = (base: number, seconds: number) => new Date(base + seconds * 1000).toISOString();

/** The parties of an escrow; every other field of a builder below can be overridden beside them. */
type Parties = { buyerId: string; sellerId: string } & Record<string, unknown>;

/**
 * A rental-deposit create body: 6,000.00 CNY with a 60.00 fee, between the
 * given renter (buyer) and landlord (seller), for a lease that started 30 days
 * ago and ends in 365 days; with `overrides`.
 */
export const rentalDeposit = ({ buyerId, sellerId, ...overrides }: Parties) => ({
  kind: "rental_deposit",
  buyerId,
  sellerId,
  amount: 600000,
  currency: "CNY",
  fee: 6000,
  paymentMethod: "pm_sandbox_ok",
  lease: { startsAt: iso(-30 * DAY), endsAt: iso(365 * DAY) },
  ...overrides,
});

export const CAR_VIN = "LSVAU2180N2183294";

/**
 * A vehicle create body: a used car for 88,000.00 CNY (a 2,000.00 deposit
 * first, 880.00 fee) between the given buyer and seller; with `overrides`.
 */
export const carDeal = ({ buyerId, sellerId, ...overrides }: Parties) => ({
  kind: "vehicle",
  buyerId,
  sellerId,
  amount: 8800000,
  deposit: 200000,
  currency: "CNY",
  fee: 88000,
  paymentMethod: "pm_sandbox_ok",
  vehicle: { vin: CAR_VIN },
  ...overrides,
});
