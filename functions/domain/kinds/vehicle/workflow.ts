import {
  choice,
  HOLD_UNAVAILABLE,
  lambdaTask,
  PAYMENT_FAILED,
  UNEXPECTED as U,
  waitWithDeadline,
} from "../../../../infra/workflow/asl-builder";
import type { KindRoutes, KindWorkflow } from "../../../../infra/workflow/routes";
import type { VehicleStep } from "./names";

/**
 * The car's part of the workflow (rendered into statemachines/escrow.asl.json
 * by `npm run asl`): the inspection wait on the reservation deposit, then the
 * balance's hold; from FUNDED on, the goods' waits.
 */

/** What ended the inspection wait. */
const AFTER_INSPECTION = {
  created: U,
  funded: U,
  cancelled: U,
  delivered: U,
  extended: U,
  evidence_requested: U,
  refund_requested: U,
  disputed: "AwaitOpsResolution",
  release: "ReleaseToSeller",
  refund: "RefundBuyer",
  split: U,
  refund_unresolved: U,
  released: U,
  refunded: U,
  settled: U,
  escalated: U,
  partial: U,
  partially_settled: U,
  reserved: U,
  balance: "HoldBalance",
  parked: "Parked",
  superseded: "Superseded",
} as const satisfies KindRoutes<VehicleStep>;

export const VEHICLE_WORKFLOW: KindWorkflow<VehicleStep> = {
  states: {
    ...waitWithDeadline({
      wait: "AwaitInspection",
      waitComment:
        "Publish escrow.reserved (a car's reservation deposit is held), then wait for the buyer's inspection, a cancellation or a dispute until the inspection window ends.",
      ended: "InspectionWindowEnded",
      endedComment:
        "The buyer did not inspect in time: as the buyer's withdrawal (the deposit is forfeited to the seller when agreed so, else refunded).",
      route: "RouteAfterInspection",
    }),
    RouteAfterInspection: choice("What ended the inspection wait.", AFTER_INSPECTION),
    HoldBalance: lambdaTask({
      comment:
        "The buyer accepted the car: hold the balance (amount − deposit, its own key) and record FUNDED.",
      fn: "HoldFunds",
      payload: { balance: true },
      retry: [HOLD_UNAVAILABLE],
      catches: [[PAYMENT_FAILED, "RecordBalanceDeclined"]],
      next: "AwaitDelivery",
    }),
    RecordBalanceDeclined: lambdaTask({
      comment:
        "The balance was declined (or the provider stayed unavailable): let go of it; the reservation deposit goes back (failureReason balance_declined).",
      fn: "RecordPaymentFailure",
      payload: { "error.$": "$.error.Error", balance: true },
      next: "RefundBuyer",
    }),
  },
  routes: {
    AFTER_HOLD: { reserved: "AwaitInspection" },
    RESUME_FROM_RECORD: { reserved: "AwaitInspection", balance: "HoldBalance" },
  },
};
