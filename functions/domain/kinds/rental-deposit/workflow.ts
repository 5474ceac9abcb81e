import { choice, UNEXPECTED as U, waitWithDeadline } from "../../../../infra/workflow/asl-builder";
import type { KindRoutes, KindWorkflow } from "../../../../infra/workflow/routes";
import type { RentalDepositStep } from "./names";

/**
 * The rental deposit's part of the workflow (rendered into
 * statemachines/escrow.asl.json by `npm run asl`): the lease (parked in the
 * record when long), the landlord's claim window, the renter's answer, and the
 * undisputed part of a rejected claim.
 */

/** What ended the lease wait. */
const AFTER_MOVE_OUT = {
  created: U,
  funded: U,
  cancelled: U,
  delivered: U,
  extended: U,
  evidence_requested: U,
  refund_requested: U,
  disputed: U,
  release: U,
  refund: "RefundBuyer",
  split: U,
  refund_unresolved: U,
  released: U,
  refunded: U,
  settled: U,
  escalated: U,
  partial: U,
  partially_settled: U,
  lease_funded: U,
  moved_out: "AwaitDeductionClaim",
  lease_renewed: "AwaitMoveOut",
  deductions_claimed: U,
  parked: "Parked",
  superseded: "Superseded",
} as const satisfies KindRoutes<RentalDepositStep>;

/** What ended the claim window. */
const AFTER_DEDUCTION_CLAIM = {
  created: U,
  funded: U,
  cancelled: U,
  delivered: U,
  extended: U,
  evidence_requested: U,
  refund_requested: U,
  disputed: U,
  release: U,
  refund: "RefundBuyer",
  split: U,
  refund_unresolved: U,
  released: U,
  refunded: U,
  settled: U,
  escalated: U,
  partial: U,
  partially_settled: U,
  lease_funded: U,
  moved_out: U,
  lease_renewed: U,
  deductions_claimed: "AwaitClaimResponse",
  parked: "Parked",
  superseded: "Superseded",
} as const satisfies KindRoutes<RentalDepositStep>;

/** How the renter answered the claim. */
const AFTER_CLAIM_RESPONSE = {
  created: U,
  funded: U,
  cancelled: U,
  delivered: U,
  extended: U,
  evidence_requested: U,
  refund_requested: U,
  disputed: "AwaitOpsResolution",
  release: "ReleaseToSeller",
  refund: U,
  split: "SplitSettlement",
  refund_unresolved: U,
  released: U,
  refunded: U,
  settled: U,
  escalated: U,
  partial: "PayUndisputedPart",
  partially_settled: U,
  lease_funded: U,
  moved_out: U,
  lease_renewed: U,
  deductions_claimed: U,
  parked: "Parked",
  superseded: "Superseded",
} as const satisfies KindRoutes<RentalDepositStep>;

export const RENTAL_DEPOSIT_WORKFLOW: KindWorkflow<RentalDepositStep> = {
  states: {
    ...waitWithDeadline({
      wait: "AwaitMoveOut",
      waitComment:
        "Publish escrow.funded, then hold the deposit through the lease: a move-out, a renewal or (before the lease starts) a cancellation, else the lease's end. A lease longer than 30 days parks in the record.",
      ended: "LeaseEnded",
      endedComment: "The lease ended: the renter has moved out (carry out an action accepted meanwhile).",
      route: "RouteAfterMoveOut",
    }),
    RouteAfterMoveOut: choice("What ended the lease wait.", AFTER_MOVE_OUT),
    ...waitWithDeadline({
      wait: "AwaitDeductionClaim",
      waitComment:
        "Publish escrow.moved_out, then wait for the landlord to claim deductions or return the deposit until the claim window ends.",
      ended: "ClaimWindowEnded",
      endedComment: "No claim in time: the whole deposit goes back to the renter.",
      route: "RouteAfterDeductionClaim",
    }),
    RouteAfterDeductionClaim: choice("What ended the claim window.", AFTER_DEDUCTION_CLAIM),
    ...waitWithDeadline({
      wait: "AwaitClaimResponse",
      waitComment:
        "Publish escrow.deductions_claimed, then wait for the renter to accept or reject the claim until the response window ends.",
      ended: "ClaimResponseWindowEnded",
      endedComment: "The renter did not answer: the claim is accepted as claimed.",
      route: "RouteAfterClaimResponse",
    }),
    RouteAfterClaimResponse: choice("How the renter answered the claim.", AFTER_CLAIM_RESPONSE),
  },
  routes: {
    AFTER_HOLD: { lease_funded: "AwaitMoveOut" },
    RESUME_FROM_RECORD: {
      lease_funded: "AwaitMoveOut",
      moved_out: "AwaitDeductionClaim",
      lease_renewed: "AwaitMoveOut",
      deductions_claimed: "AwaitClaimResponse",
    },
  },
};
