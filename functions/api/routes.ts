import * as z from "zod/mini";
import type { CreateEscrowInput } from "../domain/create-input";
import { type ActionCommand, type ActionName, actorOf } from "../domain/escrow";
import { DEFAULT_CURRENCIES } from "../domain/money";
import * as S from "./schemas";

/**
 * The routes of the public API, each written once: its function id, method,
 * path, scopes, request body or query, who may act and its success status.
 * The handlers enforce it (functions/api/http.ts), the CDK API builds its
 * methods and request models from it, the OpenAPI generator documents it,
 * register-client grants its scopes, and the local runtime reads the same
 * routes back from the synthesized template. test/contract holds it to
 * API.md.
 *
 * Each route is its own constant, marked pure, so a handler's bundle keeps
 * only its own route and the schemas that route uses.
 */

/** The Cognito resource server: scopes are `escrow/<name>`. */
export const RESOURCE_SERVER = "escrow";
export const SCOPES = {
  marketplace: `${RESOURCE_SERVER}/marketplace`,
  ops: `${RESOURCE_SERVER}/ops`,
} as const;
export type ScopeName = keyof typeof SCOPES;

export type Scope = (typeof SCOPES)[ScopeName];
export const SCOPE_DESCRIPTIONS: Record<ScopeName, string> = {
  marketplace: "A marketplace's backend: create escrows and act for its buyers and sellers",
  ops: "A marketplace's operations staff: work the queue, resolve disputes, keep notes, take cases",
};
const MARKETPLACE = [SCOPES.marketplace] as const;
const OPS = [SCOPES.ops] as const;
const EITHER = [SCOPES.marketplace, SCOPES.ops] as const;

/** Who the body's `actorId` must be: a party of the escrow, or nobody (the caller acts itself). */
export type Who = "buyer" | "seller" | "party" | "ops" | "none";

/** What a body schema may depend on: the deployment's settings. */
export interface BodySettings {
  /** SUPPORTED_CURRENCIES, the create body's currency list. */
  currencies: readonly string[];
}
export const DEFAULT_BODY_SETTINGS: BodySettings = { currencies: DEFAULT_CURRENCIES };

interface RouteBase {
  /** The function's id: its CloudFormation id, the local runtime's name for it, the operationId. */
  id: string;
  method: "GET" | "POST";
  path: `/v1/${string}`;
  /** Any one of these admits the caller; none: no token at all. */
  scopes: readonly Scope[];
  who: Who;
  status: 200 | 201 | 202;
}

/** Answered by API Gateway itself, with no token and no function. */
export interface GatewayRoute extends RouteBase {
  kind: "gateway";
}

/** A route served by its own Lambda function. `{id}` in the path names an escrow. */
export interface FunctionRoute<B = unknown, Q = unknown> extends RouteBase {
  /**
   * `issue`: creates something that is not the escrow (a handover code): 201, never replayed.
   * `record`: adds something beside the escrow (a piece of evidence, an ops note): 201, replayed by its key.
   * `query`: a POST that changes nothing (a resolution's preview): 200.
   * `update`: changes something beside the escrow that is not a transition (who holds the case): 200.
   * `document`: a document about the API itself (OpenAPI, event schemas), served without a token.
   */
  kind: "read" | "create" | "action" | "issue" | "record" | "query" | "update" | "document";
  /** The request body as the handler parses it, given the deployment's settings. */
  body?: (settings: BodySettings) => z.ZodMiniType<B>;
  query?: z.ZodMiniType<Q>;
  /** Whether an Idempotency-Key is required or optional; absent: not read. */
  idempotencyKey?: "required" | "optional";
}

/** The body of an action: its command without the action's name. */
export type ActionBody<A extends ActionName> = Omit<Extract<ActionCommand, { action: A }>, "action">;

/** An action's body parses to its command: the handler hands it to the service as it is. */
export interface ActionRoute extends FunctionRoute<ActionCommand> {
  kind: "action";
  action: ActionName;
  body: (settings: BodySettings) => z.ZodMiniType<ActionCommand>;
}

export type Route = GatewayRoute | FunctionRoute;

/** Compiles only when a body schema has exactly the fields of its action's command. */
type SameFields<B, T> = [Exclude<keyof B, keyof T> | Exclude<keyof T, keyof B>] extends [never]
  ? unknown
  : { "fields that differ from the action's command": Exclude<keyof B, keyof T> | Exclude<keyof T, keyof B> };

/* @__NO_SIDE_EFFECTS__ */ const read = <Id extends string, Q>(
  id: Id,
  path: RouteBase["path"],
  scopes: readonly Scope[],
  query?: z.ZodMiniType<Q>,
) =>
  ({
    kind: "read",
    id,
    method: "GET",
    path,
    scopes,
    who: "none",
    status: 200,
    query,
  }) satisfies FunctionRoute<unknown, Q>;

/**
 * An action on an escrow: POST to `/v1/escrows/{id}/<action>` (ops actions
 * under `/v1/ops/escrows/{id}/`), answered 202. The body schema must parse to
 * the body of the action's own command (checked by type, from the action's
 * name); the route parses it into the command. Who may act is the domain's
 * rule for that action.
 */
/* @__NO_SIDE_EFFECTS__ */ const action = <Id extends string, A extends ActionName, B extends ActionBody<A>>(
  id: Id,
  name: A,
  body: z.ZodMiniType<B> & SameFields<B, ActionBody<A>>,
  scopes: readonly Scope[] = MARKETPLACE,
) => {
  const fields: z.ZodMiniType<B> = body;
  const command = z.pipe(
    fields,
    z.transform((given: B) => ({ ...given, action: name })),
  );
  return {
    kind: "action",
    id,
    method: "POST",
    path: `/v1/${scopes.includes(SCOPES.ops) ? "ops/" : ""}escrows/{id}/${name}`,
    scopes,
    who: actorOf(name),
    status: 202,
    action: name,
    body: () => command,
    idempotencyKey: "optional",
  } as const;
};

export const Health = {
  kind: "gateway",
  id: "Health",
  method: "GET",
  path: "/v1/health",
  scopes: [],
  who: "none",
  status: 200,
} as const satisfies GatewayRoute;

/* @__NO_SIDE_EFFECTS__ */ const document = <Id extends string>(id: Id, path: RouteBase["path"]) =>
  ({
    kind: "document",
    id,
    method: "GET",
    path,
    scopes: [],
    who: "none",
    status: 200,
  }) as const satisfies FunctionRoute;

/** API.md v1.2, "For integrators": what an integration is generated from and verified against. */
export const GetOpenApiDocument = /* @__PURE__ */ document("GetOpenApiDocument", "/v1/openapi.json");
export const ListEventSchemas = /* @__PURE__ */ document("ListEventSchemas", "/v1/events/schemas");

export const CreateEscrow = /* @__PURE__ */ (() =>
  ({
    kind: "create",
    id: "CreateEscrow",
    method: "POST",
    path: "/v1/escrows",
    scopes: MARKETPLACE,
    who: "none",
    status: 201,
    body: ({ currencies }: BodySettings) => S.createEscrowBody(currencies),
    idempotencyKey: "required",
  }) as const satisfies FunctionRoute<CreateEscrowInput>)();

export const ListEscrows = /* @__PURE__ */ read("ListEscrows", "/v1/escrows", EITHER, S.ListQuery);
export const GetEscrow = /* @__PURE__ */ read("GetEscrow", "/v1/escrows/{id}", EITHER);
export const ListEscrowEvents = /* @__PURE__ */ read("ListEscrowEvents", "/v1/escrows/{id}/events", EITHER);
export const RecordDelivery = /* @__PURE__ */ action("RecordDelivery", "delivery", S.DeliveryBody);
export const ConfirmReceipt = /* @__PURE__ */ action("ConfirmReceipt", "confirmation", S.ConfirmationBody);
export const ExtendConfirmation = /* @__PURE__ */ action("ExtendConfirmation", "extension", S.ExtensionBody);
export const RequestRefund = /* @__PURE__ */ action("RequestRefund", "refund-request", S.RefundRequestBody);
export const RespondToRefund = /* @__PURE__ */ action(
  "RespondToRefund",
  "refund-response",
  S.RefundResponseBody,
);
export const OpenDispute = /* @__PURE__ */ action("OpenDispute", "dispute", S.DisputeBody);
export const CancelEscrow = /* @__PURE__ */ action("CancelEscrow", "cancellation", S.CancellationBody);
export const MoveOut = /* @__PURE__ */ action("MoveOut", "move-out", S.MoveOutBody);
export const RenewLease = /* @__PURE__ */ action("RenewLease", "lease-renewal", S.LeaseRenewalBody);
export const ClaimDeductions = /* @__PURE__ */ action(
  "ClaimDeductions",
  "deduction-claim",
  S.DeductionClaimBody,
);
export const ReturnDeposit = /* @__PURE__ */ action("ReturnDeposit", "deposit-return", S.DepositReturnBody);
export const RespondToClaim = /* @__PURE__ */ action("RespondToClaim", "claim-response", S.ClaimResponseBody);
export const InspectVehicle = /* @__PURE__ */ action("InspectVehicle", "inspection", S.InspectionBody);
export const IssueHandoverCode = /* @__PURE__ */ (() =>
  ({
    kind: "issue",
    id: "IssueHandoverCode",
    method: "POST",
    path: "/v1/escrows/{id}/handover-code",
    scopes: MARKETPLACE,
    who: "buyer",
    status: 201,
    body: () => S.HandoverCodeBody,
  }) as const satisfies FunctionRoute<{ actorId: string }>)();
export const AddEvidence = /* @__PURE__ */ (() =>
  ({
    kind: "record",
    id: "AddEvidence",
    method: "POST",
    path: "/v1/escrows/{id}/evidence",
    scopes: MARKETPLACE,
    who: "party",
    status: 201,
    body: () => S.EvidenceBody,
    idempotencyKey: "optional",
  }) as const satisfies FunctionRoute<{ actorId: string; text: string }>)();
export const ListEvidence = /* @__PURE__ */ read("ListEvidence", "/v1/escrows/{id}/evidence", EITHER);
export const ListOpsEscrows = /* @__PURE__ */ read("ListOpsEscrows", "/v1/ops/escrows", OPS, S.OpsListQuery);
export const GetOpsEscrow = /* @__PURE__ */ read("GetOpsEscrow", "/v1/ops/escrows/{id}", OPS);
export const ResolveEscrow = /* @__PURE__ */ action("ResolveEscrow", "resolution", S.ResolutionBody, OPS);
export const RequestEvidence = /* @__PURE__ */ action(
  "RequestEvidence",
  "evidence-request",
  S.EvidenceRequestBody,
  OPS,
);
export const PreviewResolution = /* @__PURE__ */ (() =>
  ({
    kind: "query",
    id: "PreviewResolution",
    method: "POST",
    path: "/v1/ops/escrows/{id}/resolution-preview",
    scopes: OPS,
    who: "ops",
    status: 200,
    body: () => S.ResolutionPreviewBody,
  }) as const satisfies FunctionRoute<{ outcome: string }>)();
export const ResumeEscrow = /* @__PURE__ */ action("ResumeEscrow", "resume", S.ResumeBody, OPS);
export const AddNote = /* @__PURE__ */ (() =>
  ({
    kind: "record",
    id: "AddNote",
    method: "POST",
    path: "/v1/ops/escrows/{id}/notes",
    scopes: OPS,
    who: "ops",
    status: 201,
    body: () => S.NoteBody,
    idempotencyKey: "optional",
  }) as const satisfies FunctionRoute<{ text: string }>)();
export const AssignEscrow = /* @__PURE__ */ (() =>
  ({
    kind: "update",
    id: "AssignEscrow",
    method: "POST",
    path: "/v1/ops/escrows/{id}/assignment",
    scopes: OPS,
    who: "ops",
    status: 200,
    body: () => S.AssignmentBody,
    idempotencyKey: "optional",
  }) as const satisfies FunctionRoute<{ assignee: "me" | null }>)();

/** Every route of the API, in the order API.md lists them. */
export const ROUTES = [
  Health,
  CreateEscrow,
  GetEscrow,
  ListEscrows,
  ListEscrowEvents,
  RecordDelivery,
  ConfirmReceipt,
  ExtendConfirmation,
  RequestRefund,
  RespondToRefund,
  OpenDispute,
  CancelEscrow,
  MoveOut,
  RenewLease,
  ClaimDeductions,
  ReturnDeposit,
  RespondToClaim,
  InspectVehicle,
  IssueHandoverCode,
  AddEvidence,
  ListEvidence,
  ListOpsEscrows,
  GetOpsEscrow,
  ResolveEscrow,
  PreviewResolution,
  ResumeEscrow,
  AddNote,
  AssignEscrow,
  RequestEvidence,
  GetOpenApiDocument,
  ListEventSchemas,
] as const satisfies readonly (GatewayRoute | FunctionRoute | ActionRoute)[];

/** The id of every route: its function's id, its operationId. */
export type RouteId = (typeof ROUTES)[number]["id"];

/** The routes served by a function of their own. */
export const FUNCTION_ROUTES: readonly FunctionRoute[] = /* @__PURE__ */ ROUTES.filter(
  (r): r is Exclude<(typeof ROUTES)[number], GatewayRoute> => r.kind !== "gateway",
);
