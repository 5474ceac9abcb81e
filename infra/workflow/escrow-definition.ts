import { KIND_WORKFLOWS } from "../../functions/domain/kinds/workflows";
import {
  checkGraph,
  choice,
  ESCALATE,
  HOLD_UNAVAILABLE,
  lambdaTask,
  PAYMENT_FAILED,
  RETRY_FOREVER,
  type State,
  settleTask,
  substitution,
  UNEXPECTED,
  waitWithDeadline,
} from "./asl-builder";
import type { SharedChoice } from "./routes";
import { routesOf, SHARED_ROUTES } from "./routes";

/**
 * The escrow workflow, as ops read it in the Step Functions console
 * (statemachines/escrow.asl.json is rendered from this by `npm run asl`; a
 * test holds the committed file equal to the render). State names read as
 * sentences; every wait ends by itself; the record decides and the workflow
 * follows it.
 */

/** A shared Choice: its common routes, and the kinds' own steps it routes (their modules'). */
const shared = (comment: string, name: SharedChoice) =>
  choice(comment, routesOf(name, [SHARED_ROUTES, ...KIND_WORKFLOWS.map((kind) => kind.routes)]));

const COMMON_STATES: Record<string, State> = {
  HoldFunds: lambdaTask({
    comment:
      "Take the hold on the buyer's payment method and record FUNDED (a car: RESERVED, its deposit). A continuation started from the record passes straight on to ResumeFromRecord.",
    fn: "HoldFunds",
    payload: { "resumeFrom.$": "$.step.outcome" },
    retry: [HOLD_UNAVAILABLE],
    catches: [
      [["ResumeFromRecord"], "ResumeFromRecord"],
      [PAYMENT_FAILED, "RecordPaymentFailure"],
    ],
    next: "RouteAfterHold",
  }),
  RecordPaymentFailure: lambdaTask({
    comment:
      "The hold was declined or the provider stayed unavailable: let go of any hold, record CANCELLED and publish escrow.cancelled.",
    fn: "RecordPaymentFailure",
    payload: { "error.$": "$.error.Error" },
    next: "End",
  }),
  RouteAfterHold: shared(
    "Goods and services wait for delivery; a rental deposit is held through the lease; a car's reservation deposit waits for the inspection.",
    "RouteAfterHold",
  ),
  ...waitWithDeadline({
    wait: "AwaitDelivery",
    waitComment:
      "Publish escrow.funded, then wait for the seller's delivery (or a cancellation or dispute) until the delivery window ends.",
    ended: "DeliveryWindowEnded",
    endedComment: "The delivery window ended: carry out an action accepted meanwhile, or refund the buyer.",
    route: "RouteAfterDelivery",
  }),
  RouteAfterDelivery: shared("What ended the delivery wait.", "RouteAfterDelivery"),
  ...waitWithDeadline({
    wait: "AwaitBuyerConfirmation",
    waitComment:
      "Publish escrow.delivered (or escrow.extended), then wait for the buyer to confirm, ask for a refund or open a dispute until the confirmation window ends.",
    ended: "ConfirmationWindowEnded",
    endedComment:
      "The confirmation window ended: carry out an action accepted meanwhile, or release to the seller.",
    route: "RouteAfterConfirmation",
  }),
  RouteAfterConfirmation: shared("What ended the confirmation wait.", "RouteAfterConfirmation"),
  ...waitWithDeadline({
    wait: "AwaitSellerResponse",
    waitComment:
      "Publish escrow.refund_requested, then wait for the seller to accept or reject the refund until the response window ends.",
    ended: "SellerResponseWindowEnded",
    endedComment: "The seller did not answer: the refund is accepted as asked.",
    route: "RouteAfterSellerResponse",
  }),
  RouteAfterSellerResponse: shared("What ended the seller-response wait.", "RouteAfterSellerResponse"),
  ...waitWithDeadline({
    wait: "AwaitOpsResolution",
    waitComment:
      "Publish escrow.disputed (and escrow.partially_settled, escrow.evidence_requested), then wait for ops to resolve the dispute until the dispute window ends.",
    ended: "DisputeWindowEnded",
    endedComment: "The dispute window ended unresolved: the buyer is refunded and ops are alerted.",
    route: "RouteAfterOpsResolution",
  }),
  RouteAfterOpsResolution: shared("What ended the dispute.", "RouteAfterOpsResolution"),
  PayUndisputedPart: settleTask(
    "The renter rejected the claim: the unclaimed part goes back to the renter and the part they accept to the landlord at once (escrow.partially_settled); only the contested part stays held for ops.",
    "AwaitOpsResolution",
  ),
  ReleaseToSeller: settleTask(
    "Pay the seller less the platform fee (the intent is recorded before the provider is called, every movement keyed by it), record RELEASED and publish escrow.released.",
    "End",
  ),
  RefundBuyer: settleTask(
    "Refund the buyer (the intent is recorded before the provider is called), record REFUNDED and publish escrow.refunded.",
    "End",
  ),
  SplitSettlement: settleTask(
    "Refund the buyer's part and pay the seller the rest less the pro-rata fee, record SETTLED and publish escrow.settled.",
    "End",
  ),
  ResumeFromRecord: shared(
    "A continuation: the escrow's record says where its workflow is (after a long wait was parked, an escalation ops resolved, or a restart from the record).",
    "ResumeFromRecord",
  ),
  [UNEXPECTED]: {
    Type: "Pass",
    Comment: "The record sent this wait an outcome it has no route for: a bug. Ops are asked to decide.",
    Parameters: {
      Error: "UnexpectedStep",
      "Cause.$": "States.Format('outcome {} at version {}', $.step.outcome, $.step.version)",
    },
    ResultPath: "$.error",
    Next: ESCALATE,
  },
  [ESCALATE]: {
    Type: "Task",
    Comment:
      "No retry can decide this (the provider refused a payout for good, or a step with no route or an error no retry changes): mark the escrow needsOpsAttention, alert ops and park it until they act.",
    Resource: "arn:aws:states:::lambda:invoke",
    Parameters: {
      FunctionName: substitution("EscalateToOpsFunctionArn"),
      Payload: {
        "tenantId.$": "$.tenantId",
        "escrowId.$": "$.escrowId",
        "execution.$": "$$.Execution.Name",
        "error.$": "$.error.Error",
        "cause.$": "$.error.Cause",
      },
    },
    ResultSelector: {
      "outcome.$": "$.Payload.outcome",
      "version.$": "$.Payload.version",
      "timeoutSeconds.$": "$.Payload.timeoutSeconds",
    },
    ResultPath: "$.step",
    // Escalating is retried like any step: it never fails the execution.
    Retry: [RETRY_FOREVER as never],
    Next: "ParkedForOps",
  },
  ParkedForOps: {
    Type: "Succeed",
    Comment:
      "The escrow waits for ops (needsOpsAttention); their resolution or resume starts the continuation.",
  },
  Parked: {
    Type: "Succeed",
    Comment:
      "A wait longer than 30 days is kept in the escrow's record, not in an execution: the action that ends it, or the reconciler at its deadline, starts the continuation.",
  },
  Superseded: {
    Type: "Succeed",
    Comment:
      "The escrow's record names another execution as the one that carries it: this one ends without acting (at most one execution runs an escrow).",
  },
};

/** The shared states, then each kind's own (a state name used twice is refused). */
const STATES: Record<string, State> = { ...COMMON_STATES };
for (const kind of KIND_WORKFLOWS)
  for (const [name, state] of Object.entries(kind.states)) {
    if (name in STATES) throw new Error(`the workflow state ${name} is defined twice`);
    STATES[name] = state;
  }

export const ESCROW_DEFINITION = {
  Comment:
    "Escrow lifecycle: hold the buyer's money (goods and services: wait for delivery and confirmation; rental deposits: hold through the lease, then the landlord's claim and the renter's answer; cars: hold a reservation deposit, the buyer inspects, hold the balance, then as goods), then release, refund or split. Every wait ends by itself; each wait routes its own outcomes. The record decides: a long wait parks in it, and the reconciler continues an escrow from it. Every step is retried until its dependency answers. Rendered from infra/workflow/escrow-definition.ts (npm run asl); the escrow's record names its current execution (<escrow id>, then <escrow id>-p<version> after a park, -r<version> after a restart, -r<version>-2 and -3 after more restarts at that version).",
  StartAt: "HoldFunds",
  States: STATES,
};

const problems = checkGraph(ESCROW_DEFINITION.StartAt, STATES);
if (problems.length > 0) throw new Error(`the escrow workflow is not sound: ${problems.join("; ")}`);
