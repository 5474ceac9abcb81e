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
