import { DAY, DEFAULT_REMINDER_SECONDS } from "../../durations";
import { ValidationError } from "../../errors";
import { GOODS_ACTIONS, GOODS_WAITS } from "../goods";
import type { Kind, OwnActions } from "../kind";

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
  fundedStep: "funded",
  waits: {
    RESERVED: {
      window: "inspection",
      party: "buyer",
      // The buyer letting the window pass is the buyer's own withdrawal.
      ifSilent: (s) => (s.depositForfeitable ? "forfeit_deposit" : "refund"),
    },
    ...GOODS_WAITS,
  },
  actions: [...GOODS_ACTIONS, "inspection"],
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
  // An accepted inspection: the balance is to be held (HoldBalance), then FUNDED.
  awaiting: (s) => (s.balanceDue ? { action: "inspection", step: "balance" } : null),
  balanceUnrecorded: (s) => s.inspection?.accepted === true && s.funded < s.amount,
  view: (s) => ({
    vehicle: s.vehicle,
    deposit: s.deposit,
    depositForfeitable: s.depositForfeitable,
    inspection: s.inspection,
  }),
};
