import type { ActionName } from "../../decide";
import { DAY, DEFAULT_REMINDER_SECONDS } from "../../durations";
import { heldOf } from "../../money";
import { acceptedRefund, pending } from "../../outcomes";
import type { EscrowStatus } from "../../types";
import type { Kind, Wait } from "../kind";

/**
 * Goods (API.md v1, the default kind): the whole price is held, the seller
 * delivers, the buyer confirms or asks for a refund, ops decide a dispute.
 * Services and cars reuse its waits and actions.
 */

/** The waits from FUNDED on (a car's too, once its balance is held). */
export const GOODS_WAITS = {
  FUNDED: {
    window: "delivery",
    step: "funded",
    party: "seller",
    ifSilent: "refund",
    outcome: (s) => pending("auto-refund", "refund", heldOf(s)),
  },
  DELIVERED: {
    window: "confirmation",
    step: "delivered",
    party: "buyer",
    ifSilent: "release",
    outcome: () => pending("auto-release", "release", 0),
  },
  REFUND_REQUESTED: {
    window: "seller_response",
    step: "refund_requested",
    party: "seller",
    ifSilent: "accept_refund",
    outcome: (s) => acceptedRefund(s, "auto-refund-acceptance"),
  },
  // Ops are alerted: the dispute ended unresolved.
  DISPUTED: {
    window: "dispute",
    step: "disputed",
    party: "ops",
    ifSilent: "refund",
    outcome: (s) => pending("auto-refund", "refund", heldOf(s), true),
  },
} as const satisfies Partial<Record<EscrowStatus, Wait>>;

export const GOODS_ACTIONS: readonly ActionName[] = [
  "delivery",
  "confirmation",
  "extension",
  "refund-request",
  "refund-response",
  "dispute",
  "cancellation",
  "resolution",
  "evidence-request",
  "resume",
];

export const goods: Kind = {
  name: "goods",
  windows: {
    deliverySeconds: 7 * DAY,
    confirmationSeconds: 10 * DAY,
    sellerResponseSeconds: 5 * DAY,
    disputeSeconds: 30 * DAY,
    reminderSeconds: DEFAULT_REMINDER_SECONDS,
  },
  createFields: [],
  terms: () => ({}),
  firstHold: "funded",
  waits: GOODS_WAITS,
  actions: GOODS_ACTIONS,
  handover: true,
  view: () => ({}),
};
