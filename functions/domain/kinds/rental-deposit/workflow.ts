import { choice, waitWithDeadline } from "../../../../infra/workflow/asl-builder";
import { type KindWorkflow, routesOf, unrouted } from "../../../../infra/workflow/routes";
import type { RentalDepositStep } from "./names";

/**
 * The rental deposit's part of the workflow (rendered into
 * statemachines/escrow.asl.json by `npm run asl`): the lease (parked in the
 * record when long), the landlord's claim window, the renter's answer, and the
 * undisputed part of a rejected claim.
 */

type Choices = "RouteAfterMoveOut" | "RouteAfterDeductionClaim" | "RouteAfterClaimResponse";

/**
 * Where each outcome goes from the rental deposit's Choices (what ended the
 * lease wait, the claim window, how the renter answered the claim), and its
 * own steps from the shared ones.
 */
const ROUTES: KindWorkflow<RentalDepositStep, Choices>["routes"] = {
  ...unrouted(
    "created funded cancelled delivered extended evidence_requested refund_requested refund_unresolved released refunded settled escalated partially_settled",
  ),
  refund: { RouteAfterMoveOut: "RefundBuyer", RouteAfterDeductionClaim: "RefundBuyer" },
  disputed: { RouteAfterClaimResponse: "AwaitOpsResolution" },
  release: { RouteAfterClaimResponse: "ReleaseToSeller" },
  split: { RouteAfterClaimResponse: "SplitSettlement" },
  partial: { RouteAfterClaimResponse: "PayUndisputedPart" },
  parked: {
    RouteAfterMoveOut: "Parked",
    RouteAfterDeductionClaim: "Parked",
    RouteAfterClaimResponse: "Parked",
  },
  superseded: {
    RouteAfterMoveOut: "Superseded",
    RouteAfterDeductionClaim: "Superseded",
    RouteAfterClaimResponse: "Superseded",
  },
  lease_funded: { RouteAfterHold: "AwaitMoveOut", ResumeFromRecord: "AwaitMoveOut" },
  moved_out: { RouteAfterMoveOut: "AwaitDeductionClaim", ResumeFromRecord: "AwaitDeductionClaim" },
  lease_renewed: { RouteAfterMoveOut: "AwaitMoveOut", ResumeFromRecord: "AwaitMoveOut" },
  deductions_claimed: {
    RouteAfterDeductionClaim: "AwaitClaimResponse",
    ResumeFromRecord: "AwaitClaimResponse",
  },
};

/** The Choice of one of its waits. */
const route = (name: Choices, comment: string) => choice(comment, routesOf(name, [ROUTES]));

export const RENTAL_DEPOSIT_WORKFLOW: KindWorkflow<RentalDepositStep, Choices> = {
  states: {
    ...waitWithDeadline({
      wait: "AwaitMoveOut",
      waitComment:
        "Publish escrow.funded, then hold the deposit through the lease: a move-out, a renewal or (before the lease starts) a cancellation, else the lease's end. A lease longer than 30 days parks in the record.",
      ended: "LeaseEnded",
      endedComment: "The lease ended: the renter has moved out (carry out an action accepted meanwhile).",
      route: "RouteAfterMoveOut",
    }),
    RouteAfterMoveOut: route("RouteAfterMoveOut", "What ended the lease wait."),
    ...waitWithDeadline({
      wait: "AwaitDeductionClaim",
      waitComment:
        "Publish escrow.moved_out, then wait for the landlord to claim deductions or return the deposit until the claim window ends.",
      ended: "ClaimWindowEnded",
      endedComment: "No claim in time: the whole deposit goes back to the renter.",
      route: "RouteAfterDeductionClaim",
    }),
    RouteAfterDeductionClaim: route("RouteAfterDeductionClaim", "What ended the claim window."),
    ...waitWithDeadline({
      wait: "AwaitClaimResponse",
      waitComment:
        "Publish escrow.deductions_claimed, then wait for the renter to accept or reject the claim until the response window ends.",
      ended: "ClaimResponseWindowEnded",
      endedComment: "The renter did not answer: the claim is accepted as claimed.",
      route: "RouteAfterClaimResponse",
    }),
    RouteAfterClaimResponse: route("RouteAfterClaimResponse", "How the renter answered the claim."),
  },
  routes: ROUTES,
};
