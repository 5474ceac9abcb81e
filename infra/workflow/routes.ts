import type { CommonStep } from "../../functions/domain/workflow-step";
import { type State, UNEXPECTED as U } from "./asl-builder";

/**
 * Where each step outcome goes from each Choice of the workflow: total maps,
 * each outcome with its state or U (UnexpectedStep: ops are asked), so that
 * adding an outcome fails to compile until every Choice has decided where it
 * goes, and a misspelt one fails too. A step that finds the record naming
 * another execution is `superseded` everywhere: it ends.
 *
 * The Choices below are the shared ones, total over the common outcomes
 * (`CommonStep`). A kind's own steps and states are its module's
 * (functions/domain/kinds/<kind>/workflow.ts, a `KindWorkflow`): its own
 * Choices are total over the common outcomes and its own; where the shared
 * Choices send its steps is its to say (every one of them has a place to
 * resume at), and any other kind's step is UnexpectedStep there.
 */

type Routes = Record<CommonStep, string>;

/** The shared Choices a kind's steps may be routed from. */
export type SharedChoice =
  | "AFTER_HOLD"
  | "AFTER_DELIVERY"
  | "AFTER_CONFIRMATION"
  | "AFTER_SELLER_RESPONSE"
  | "AFTER_OPS_RESOLUTION"
  | "RESUME_FROM_RECORD";

/**
 * A kind's part of the workflow: its states (its waits, their deadlines and
 * Choices, its own tasks), and where the shared Choices send its own steps
 * (`S`): a continuation must be able to resume at each of them, so
 * RESUME_FROM_RECORD names them all; elsewhere a step left out is UnexpectedStep.
 */
export interface KindWorkflow<S extends string> {
  readonly states: Record<string, State>;
  readonly routes: {
    readonly [C in Exclude<SharedChoice, "RESUME_FROM_RECORD">]?: Partial<Record<S, string>>;
  } & {
    readonly RESUME_FROM_RECORD: Record<S, string>;
  };
}

/** A kind's own Choice: total over the common outcomes and the kind's own. */
export type KindRoutes<S extends string> = Record<CommonStep | S, string>;

/**
 * A shared Choice's routes: the common ones and every kind's own (two kinds
 * naming one step, or a kind routing a common one, is refused).
 */
export function sharedRoutes(
  choice: SharedChoice,
  common: Routes,
  kinds: readonly KindWorkflow<string>[],
): Record<string, string> {
  const routes: Record<string, string> = { ...common };
  for (const kind of kinds)
    for (const [step, next] of Object.entries(kind.routes[choice] ?? {})) {
      if (step in routes) throw new Error(`${choice}: the step ${step} is routed twice`);
      routes[step] = next as string;
    }
  return routes;
}

/** What the hold led to: goods and services wait for delivery (a kind whose first hold leads elsewhere routes its own step). */
export const AFTER_HOLD = {
  created: U,
  funded: "AwaitDelivery",
  cancelled: U,
  delivered: U,
  extended: U,
  evidence_requested: U,
  refund_requested: U,
  disputed: U,
  release: U,
  refund: U,
  split: U,
  refund_unresolved: U,
  released: U,
  refunded: U,
  settled: U,
  escalated: U,
  partial: U,
  partially_settled: U,
  parked: U,
  superseded: "Superseded",
} as const satisfies Routes;

/** What ended the delivery wait. */
export const AFTER_DELIVERY = {
  created: U,
  funded: U,
  cancelled: U,
  delivered: "AwaitBuyerConfirmation",
  extended: U,
  evidence_requested: U,
  refund_requested: U,
  disputed: "AwaitOpsResolution",
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
  parked: "Parked",
  superseded: "Superseded",
} as const satisfies Routes;

/** What ended the confirmation wait. */
export const AFTER_CONFIRMATION = {
  created: U,
  funded: U,
  cancelled: U,
  delivered: U,
  extended: "AwaitBuyerConfirmation",
  evidence_requested: U,
  refund_requested: "AwaitSellerResponse",
  disputed: "AwaitOpsResolution",
  release: "ReleaseToSeller",
  refund: U,
  split: U,
  refund_unresolved: U,
  released: U,
  refunded: U,
  settled: U,
  escalated: U,
  partial: U,
  partially_settled: U,
  parked: "Parked",
  superseded: "Superseded",
} as const satisfies Routes;

/** What ended the seller-response wait. */
export const AFTER_SELLER_RESPONSE = {
  created: U,
  funded: U,
  cancelled: U,
  delivered: U,
  extended: U,
  evidence_requested: U,
  refund_requested: U,
  disputed: "AwaitOpsResolution",
  release: U,
  refund: "RefundBuyer",
  split: "SplitSettlement",
  refund_unresolved: U,
  released: U,
  refunded: U,
  settled: U,
  escalated: U,
  partial: U,
  partially_settled: U,
  parked: "Parked",
  superseded: "Superseded",
} as const satisfies Routes;

/** What ended the dispute. */
export const AFTER_OPS_RESOLUTION = {
  created: U,
  funded: U,
  cancelled: U,
  delivered: U,
  extended: U,
  evidence_requested: "AwaitOpsResolution",
  refund_requested: U,
  disputed: U,
  release: "ReleaseToSeller",
  refund: "RefundBuyer",
  split: "SplitSettlement",
  refund_unresolved: "RefundBuyer",
  released: U,
  refunded: U,
  settled: U,
  escalated: U,
  partial: U,
  partially_settled: U,
  parked: "Parked",
  superseded: "Superseded",
} as const satisfies Routes;

/** A continuation (after a parked wait, an escalation ops resolved, or a restart from the record): the state the record's latest step needs. Every outcome but the first hold's and a park has a place (a kind's own: its module). */
export const RESUME_FROM_RECORD = {
  created: U,
  funded: "AwaitDelivery",
  cancelled: "RecordPaymentFailure",
  delivered: "AwaitBuyerConfirmation",
  extended: "AwaitBuyerConfirmation",
  evidence_requested: "AwaitOpsResolution",
  refund_requested: "AwaitSellerResponse",
  disputed: "AwaitOpsResolution",
  release: "ReleaseToSeller",
  refund: "RefundBuyer",
  split: "SplitSettlement",
  refund_unresolved: "RefundBuyer",
  released: "ReleaseToSeller",
  refunded: "RefundBuyer",
  settled: "SplitSettlement",
  escalated: "EscalateToOps",
  partial: "PayUndisputedPart",
  partially_settled: "AwaitOpsResolution",
  parked: U,
  superseded: "Superseded",
} as const satisfies Routes;

/** The shared Choices' common routes, by name. */
export const SHARED_ROUTES: Record<SharedChoice, Routes> = {
  AFTER_HOLD,
  AFTER_DELIVERY,
  AFTER_CONFIRMATION,
  AFTER_SELLER_RESPONSE,
  AFTER_OPS_RESOLUTION,
  RESUME_FROM_RECORD,
};
