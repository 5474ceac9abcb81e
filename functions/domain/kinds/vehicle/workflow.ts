import {
  choice,
  HOLD_UNAVAILABLE,
  lambdaTask,
  PAYMENT_FAILED,
  waitWithDeadline,
} from "../../../../infra/workflow/asl-builder";
import { type KindWorkflow, routesOf, unrouted } from "../../../../infra/workflow/routes";
import type { VehicleStep } from "./names";

/**
 * The car's part of the workflow (rendered into statemachines/escrow.asl.json
 * by `npm run asl`): the inspection wait on the reservation deposit, then the
 * balance's hold; from FUNDED on, the goods' waits.
 */

/** Where each outcome goes from the car's Choice (what ended the inspection wait), and its own steps from the shared ones. */
const ROUTES: KindWorkflow<VehicleStep, "RouteAfterInspection">["routes"] = {
  ...unrouted(
    "created funded cancelled delivered extended evidence_requested refund_requested split refund_unresolved released refunded settled escalated partial partially_settled",
  ),
  disputed: { RouteAfterInspection: "AwaitOpsResolution" },
  release: { RouteAfterInspection: "ReleaseToSeller" },
  refund: { RouteAfterInspection: "RefundBuyer" },
  parked: { RouteAfterInspection: "Parked" },
  superseded: { RouteAfterInspection: "Superseded" },
  reserved: { RouteAfterHold: "AwaitInspection", ResumeFromRecord: "AwaitInspection" },
  balance: { RouteAfterInspection: "HoldBalance", ResumeFromRecord: "HoldBalance" },
};

export const VEHICLE_WORKFLOW: KindWorkflow<VehicleStep, "RouteAfterInspection"> = {
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
    RouteAfterInspection: choice(
      "What ended the inspection wait.",
      routesOf("RouteAfterInspection", [ROUTES]),
    ),
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
  routes: ROUTES,
};
