import type { CommonStep } from "../../functions/domain/workflow-step";
import type { State } from "./asl-builder";

/**
 * Where each step outcome goes from each Choice of the workflow, as tables
 * with one row per outcome: the Choices that route it, each with its state;
 * from a Choice the row leaves out, the outcome goes to UnexpectedStep (ops
 * are asked). Every table is total over its outcomes (`unrouted` names the
 * outcomes a table routes nowhere), so adding an outcome fails to compile
 * until every table has decided where it goes, and a misspelt outcome or
 * Choice fails too.
 *
 * The shared table below routes the common outcomes (`CommonStep`) from the
 * shared Choices. A kind's own steps and states are its module's
 * (functions/domain/kinds/<kind>/workflow.ts, a `KindWorkflow`): its table
 * routes the common outcomes and its own from its own Choices, and its own
 * from the shared Choices too (each has a place to resume at). Another kind's
 * step is UnexpectedStep at a kind's Choices.
 */

/** The shared Choices (state names of escrow-definition.ts). */
export type SharedChoice =
  | "RouteAfterHold"
  | "RouteAfterDelivery"
  | "RouteAfterConfirmation"
  | "RouteAfterSellerResponse"
  | "RouteAfterOpsResolution"
  | "ResumeFromRecord";

/** Where one outcome goes from each Choice that routes it. */
export type Row<C extends string> = { readonly [K in C]?: string };

/** The words of a space-separated list, as a union of string literals. */
type Words<S extends string> = S extends `${infer Head} ${infer Tail}` ? Head | Words<Tail> : S;

/** Outcomes a table routes nowhere (UnexpectedStep from each of its Choices), named in one line. */
export const unrouted = <S extends string>(outcomes: S): Record<Words<S>, Row<never>> =>
  Object.fromEntries(outcomes.split(" ").map((o) => [o, {}])) as Record<Words<S>, Row<never>>;

/**
 * A kind's part of the workflow: its states (its waits, their deadlines and
 * Choices `C`, its own tasks), and its table: every common outcome and every
 * one of its own steps `S`, routed from its Choices; its own steps from the
 * shared Choices too, each with a place to resume at.
 */
export interface KindWorkflow<S extends string, C extends string> extends AnyKindWorkflow {
  readonly routes: Record<CommonStep, Row<C>> &
    Record<S, Row<C | SharedChoice> & { readonly ResumeFromRecord: string }>;
}

/** Any kind's part, as the registry lists them (functions/domain/kinds/workflows.ts). */
export interface AnyKindWorkflow {
  readonly states: Record<string, State>;
  readonly routes: Readonly<Record<string, Row<string>>>;
}

/** The routes of one Choice from tables (an outcome routed twice from it is refused). */
export function routesOf(
  choice: string,
  tables: readonly Record<string, Row<string>>[],
): Record<string, string> {
  const routes: Record<string, string> = {};
  for (const table of tables)
    for (const [outcome, row] of Object.entries(table)) {
      const next = row[choice];
      if (next === undefined) continue;
      if (outcome in routes) throw new Error(`${choice}: the step ${outcome} is routed twice`);
      routes[outcome] = next;
    }
  return routes;
}

/**
 * The shared table. RouteAfterHold: goods and services wait for delivery (a
 * kind whose first hold leads elsewhere routes its own step). ResumeFromRecord,
 * a continuation (after a parked wait, an escalation ops resolved, or a
 * restart from the record): the state the record's latest step needs; every
 * outcome but the first hold's and a park has a place.
 */
export const SHARED_ROUTES: Record<CommonStep, Row<SharedChoice>> = {
  created: {},
  funded: { RouteAfterHold: "AwaitDelivery", ResumeFromRecord: "AwaitDelivery" },
  cancelled: { ResumeFromRecord: "RecordPaymentFailure" },
  delivered: { RouteAfterDelivery: "AwaitBuyerConfirmation", ResumeFromRecord: "AwaitBuyerConfirmation" },
  extended: { RouteAfterConfirmation: "AwaitBuyerConfirmation", ResumeFromRecord: "AwaitBuyerConfirmation" },
  evidence_requested: {
    RouteAfterOpsResolution: "AwaitOpsResolution",
    ResumeFromRecord: "AwaitOpsResolution",
  },
  refund_requested: {
    RouteAfterConfirmation: "AwaitSellerResponse",
    ResumeFromRecord: "AwaitSellerResponse",
  },
  disputed: {
    RouteAfterDelivery: "AwaitOpsResolution",
    RouteAfterConfirmation: "AwaitOpsResolution",
    RouteAfterSellerResponse: "AwaitOpsResolution",
    ResumeFromRecord: "AwaitOpsResolution",
  },
  release: {
    RouteAfterConfirmation: "ReleaseToSeller",
    RouteAfterOpsResolution: "ReleaseToSeller",
    ResumeFromRecord: "ReleaseToSeller",
  },
  refund: {
    RouteAfterDelivery: "RefundBuyer",
    RouteAfterSellerResponse: "RefundBuyer",
    RouteAfterOpsResolution: "RefundBuyer",
    ResumeFromRecord: "RefundBuyer",
  },
  split: {
    RouteAfterSellerResponse: "SplitSettlement",
    RouteAfterOpsResolution: "SplitSettlement",
    ResumeFromRecord: "SplitSettlement",
  },
  refund_unresolved: { RouteAfterOpsResolution: "RefundBuyer", ResumeFromRecord: "RefundBuyer" },
  released: { ResumeFromRecord: "ReleaseToSeller" },
  refunded: { ResumeFromRecord: "RefundBuyer" },
  settled: { ResumeFromRecord: "SplitSettlement" },
  escalated: { ResumeFromRecord: "EscalateToOps" },
  partial: { ResumeFromRecord: "PayUndisputedPart" },
  partially_settled: { ResumeFromRecord: "AwaitOpsResolution" },
  parked: {
    RouteAfterDelivery: "Parked",
    RouteAfterConfirmation: "Parked",
    RouteAfterSellerResponse: "Parked",
    RouteAfterOpsResolution: "Parked",
  },
  superseded: {
    RouteAfterHold: "Superseded",
    RouteAfterDelivery: "Superseded",
    RouteAfterConfirmation: "Superseded",
    RouteAfterSellerResponse: "Superseded",
    RouteAfterOpsResolution: "Superseded",
    ResumeFromRecord: "Superseded",
  },
};
