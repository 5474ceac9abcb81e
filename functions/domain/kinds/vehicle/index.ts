import { DAY, DEFAULT_REMINDER_SECONDS } from "../../durations";
import type { EntryOf } from "../../entries";
import { ValidationError } from "../../errors";
import { holdPostings } from "../../ledger";
import { heldOf } from "../../money";
import { pending, pendingStep } from "../../outcomes";
import type { EscrowState, Pending, PendingAction } from "../../types";
import { addSeconds, windowSeconds } from "../../windows";
import { GOODS_ACTIONS, GOODS_WAITS } from "../goods";
import type { Kind, OwnActions, OwnEntries } from "../kind";

/**
 * A second-hand car (API.md v1.1, kind `vehicle`): a reservation deposit is
 * held first and the buyer inspects the car; an accepted inspection holds
 * the balance; from FUNDED on as goods, the delivery naming the title
 * transfer.
 */
/** The car's own command (API.md v1.1, POST …/inspection). */
export type VehicleCommand = {
  action: "inspection";
  actorId: string;
  accept: boolean;
  reason?: string;
  paymentMethod?: string;
};

export const VEHICLE_ACTIONS: OwnActions<VehicleCommand> = {
  inspection: {
    from: ["RESERVED"],
    actor: "buyer",
    decide: (_s, c, actor) => ({
      type: "inspected",
      actor,
      data: {
        actorId: c.actorId,
        accepted: c.accept,
        reason: c.reason ?? null,
        paymentMethod: c.paymentMethod ?? null,
      },
    }),
  },
};

/** The car's own history entries. */
export type VehicleEntry =
  /** The reservation deposit is held. */
  | EntryOf<"reserved", { paymentRef: string }>
  | EntryOf<
      "inspected",
      { actorId: string; accepted: boolean; reason: string | null; paymentMethod: string | null }
    >
  /** The balance could not be held: the deposit goes back. */
  | EntryOf<"balance_declined", { failureReason: string }>;

/** An accepted inspection's balance, still to be held (HoldBalance), then FUNDED. */
const balanceToHold = (s: EscrowState) =>
  s.balanceDue ? ({ action: "inspection", step: "balance" } as const) : null;

export const VEHICLE_ENTRIES: OwnEntries<VehicleEntry> = {
  reserved: {
    evolve(s, e) {
      const deposit = s.deposit ?? s.amount;
      return {
        ...s,
        status: "RESERVED",
        deadline: addSeconds(e.at, windowSeconds(s, "inspectionSeconds")),
        paymentRef: e.data.paymentRef,
        funded: deposit,
        ledger: [...s.ledger, ...holdPostings(deposit)],
      };
    },
    step: () => "reserved",
    event: "escrow.reserved",
  },
  inspected: {
    evolve(s, e) {
      const inspection = { accepted: e.data.accepted, reason: e.data.reason, at: e.at };
      if (e.data.accepted)
        return {
          ...s,
          deadline: null,
          inspection,
          balanceDue: { paymentMethod: e.data.paymentMethod ?? s.paymentMethod },
        };
      return { ...s, deadline: null, inspection, pending: pending("inspection", "refund", heldOf(s)) };
    },
    // Accepted: the balance is to be held; rejected: the deposit goes back.
    step: (s, e) => balanceToHold(s)?.step ?? pendingStep(s, e),
    event: "escrow.inspected",
  },
  balance_declined: {
    evolve: (s, e) => ({
      ...s,
      deadline: null,
      balanceDue: null,
      failureReason: e.data.failureReason,
      pending: pending("inspection", "refund", heldOf(s)),
    }),
    step: () => "refund",
  },
};

/** A buyer withdrawing from a reservation agreed forfeitable forfeits the deposit to the seller (less its pro-rata fee). */
function withdrawal(s: EscrowState, by: string, action: PendingAction): Pending | undefined {
  if (s.status === "RESERVED" && by === "buyer" && s.depositForfeitable)
    return { ...pending(action, "release", 0), reason: "deposit_forfeited" };
  return undefined;
}

export const vehicle: Kind = {
  name: "vehicle",
  windows: {
    inspectionSeconds: 3 * DAY,
    deliverySeconds: 7 * DAY,
    confirmationSeconds: 3 * DAY,
    sellerResponseSeconds: 5 * DAY,
    disputeSeconds: 30 * DAY,
    reminderSeconds: DEFAULT_REMINDER_SECONDS,
  },
  createFields: ["deposit", "depositForfeitable", "vehicle"],
  terms(input, _now, errors) {
    if (input.deposit === undefined)
      errors.push({ path: "deposit", message: "is required for kind vehicle" });
    else if (input.deposit >= input.amount)
      errors.push({
        path: "deposit",
        message: `must be less than amount (${input.amount}): the balance is a second hold`,
      });
    if (!input.vehicle) errors.push({ path: "vehicle", message: "is required for kind vehicle" });
    return {
      deposit: input.deposit ?? null,
      depositForfeitable: input.depositForfeitable ?? false,
      vehicle: input.vehicle
        ? { vin: input.vehicle.vin, description: input.vehicle.description ?? null }
        : null,
    };
  },
  firstHold: "reserved",
  firstHoldAmount: (s) => s.deposit ?? s.amount,
  waits: {
    RESERVED: {
      window: "inspection",
      step: "reserved",
      party: "buyer",
      // The buyer letting the window pass is the buyer's own withdrawal.
      ifSilent: (s) => (s.depositForfeitable ? "forfeit_deposit" : "refund"),
      outcome: (s) =>
        withdrawal(s, "buyer", "auto-cancellation") ?? pending("auto-cancellation", "refund", heldOf(s)),
    },
    ...GOODS_WAITS,
  },
  actions: [...GOODS_ACTIONS, "inspection"],
  // Before the inspection, either party may withdraw (or the buyer dispute the reservation).
  alsoFrom: { dispute: ["RESERVED"], cancellation: ["RESERVED"] },
  checkValues(_state, command) {
    if (command.action === "delivery" && command.titleTransferRef === undefined)
      throw new ValidationError("A car's delivery needs its title transfer.", [
        {
          path: "titleTransferRef",
          message: "is required for a vehicle: the number of the registration-transfer document",
        },
      ]);
  },
  handover: true,
  cancellation: withdrawal,
  // An accepted inspection: the balance is to be held (HoldBalance), then FUNDED.
  awaiting: (s) => balanceToHold(s),
  balanceDeclined: "balance_declined",
  balanceUnrecorded: (s) => s.inspection?.accepted === true && s.funded < s.amount,
  view: (s) => ({
    vehicle: s.vehicle,
    deposit: s.deposit,
    depositForfeitable: s.depositForfeitable,
    inspection: s.inspection,
  }),
};
