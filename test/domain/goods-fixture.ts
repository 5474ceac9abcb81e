import { type ActionCommand, failPayment } from "../../functions/domain/escrow";
import { type EscrowStatus, STATUSES } from "../../functions/domain/types";
import { DAY } from "../../functions/domain/windows";
import { at, Harness } from "../support/escrows";

/** What the domain suites of goods share: its parties, an escrow in any status, a command per action. */

export const BUYER = "u-buyer";
export const SELLER = "u-seller";

/** A harness whose escrow is in `status`, reached the way API.md's table says. */
export function inStatus(status: EscrowStatus): Harness {
  const h = new Harness();
  switch (status) {
    case "PENDING_FUNDS":
      return h;
    case "CANCELLED":
      h.push(failPayment(h.state, "payment_declined"), at(1));
      return h;
    default:
      h.fund();
  }
  if (status === "FUNDED") return h;
  if (status === "DISPUTED") {
    h.act({ action: "dispute", actorId: BUYER, reason: "not as described" }, at(2));
    return h;
  }
  h.act({ action: "delivery", actorId: SELLER, carrier: "SF", trackingNumber: "SF123" }, at(2));
  if (status === "DELIVERED") return h;
  if (status === "REFUND_REQUESTED") {
    h.act({ action: "refund-request", actorId: BUYER, reason: "broken", amount: 3000 }, at(3));
    return h;
  }
  if (status === "RELEASED") h.act({ action: "confirmation", actorId: BUYER }, at(3));
  if (status === "REFUNDED") h.act({ action: "refund-request", actorId: BUYER, reason: "broken" }, at(3));
  if (status === "SETTLED")
    h.act({ action: "refund-request", actorId: BUYER, reason: "scratch", amount: 3000 }, at(3));
  if (status === "REFUNDED" || status === "SETTLED")
    h.act({ action: "refund-response", actorId: SELLER, accept: true }, at(4));
  h.settle(at(5));
  return h;
}

/** The actions of goods and services. */
export type GoodsAction =
  | "delivery"
  | "confirmation"
  | "extension"
  | "refund-request"
  | "refund-response"
  | "dispute"
  | "cancellation"
  | "resolution";
/** The statuses a goods escrow can be in. */
export const GOODS_STATUSES = STATUSES.filter(
  (s) => s !== "MOVED_OUT" && s !== "CLAIMED" && s !== "RESERVED",
);

/** A valid command for each action, by the right party. */
export const COMMANDS: Record<GoodsAction, ActionCommand> = {
  delivery: { action: "delivery", actorId: SELLER, carrier: "SF", trackingNumber: "SF1" },
  confirmation: { action: "confirmation", actorId: BUYER },
  extension: { action: "extension", actorId: BUYER, seconds: 3 * DAY },
  "refund-request": { action: "refund-request", actorId: BUYER, reason: "broken" },
  "refund-response": { action: "refund-response", actorId: SELLER, accept: true },
  dispute: { action: "dispute", actorId: SELLER, reason: "buyer unreachable" },
  cancellation: { action: "cancellation", actorId: BUYER, reason: "changed my mind" },
  resolution: { action: "resolution", outcome: "release", note: "evidence favours the seller" },
};
