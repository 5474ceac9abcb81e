import type * as z from "zod/mini";
import type { CreateEscrowInput } from "../domain/create-input";
import { KIND_ROUTES } from "../domain/kinds/api";
import { createEscrowBody } from "./create-body";
import {
  type ActionRoute,
  actionRoute,
  type BodySettings,
  EITHER,
  type FunctionRoute,
  type GatewayRoute,
  MARKETPLACE,
  OPS,
  type RouteBase,
  type Scope,
} from "./route-kit";
import * as S from "./schemas";

export {
  type ActionBody,
  type ActionRoute,
  type BodySettings,
  DEFAULT_BODY_SETTINGS,
  type FunctionRoute,
  type GatewayRoute,
  RESOURCE_SERVER,
  type Route,
  SCOPE_DESCRIPTIONS,
  SCOPES,
  type Scope,
  type ScopeName,
  type Who,
} from "./route-kit";

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
    body: ({ currencies }: BodySettings) => createEscrowBody(currencies),
    idempotencyKey: "required",
  }) as const satisfies FunctionRoute<CreateEscrowInput>)();

export const ListEscrows = /* @__PURE__ */ read("ListEscrows", "/v1/escrows", EITHER, S.ListQuery);
export const GetEscrow = /* @__PURE__ */ read("GetEscrow", "/v1/escrows/{id}", EITHER);
export const ListEscrowEvents = /* @__PURE__ */ read("ListEscrowEvents", "/v1/escrows/{id}/events", EITHER);
export const RecordDelivery = /* @__PURE__ */ actionRoute("RecordDelivery", "delivery", S.DeliveryBody);
export const ConfirmReceipt = /* @__PURE__ */ actionRoute(
  "ConfirmReceipt",
  "confirmation",
  S.ConfirmationBody,
);
export const ExtendConfirmation = /* @__PURE__ */ actionRoute(
  "ExtendConfirmation",
  "extension",
  S.ExtensionBody,
);
export const RequestRefund = /* @__PURE__ */ actionRoute(
  "RequestRefund",
  "refund-request",
  S.RefundRequestBody,
);
export const RespondToRefund = /* @__PURE__ */ actionRoute(
  "RespondToRefund",
  "refund-response",
  S.RefundResponseBody,
);
export const OpenDispute = /* @__PURE__ */ actionRoute("OpenDispute", "dispute", S.DisputeBody);
export const CancelEscrow = /* @__PURE__ */ actionRoute("CancelEscrow", "cancellation", S.CancellationBody);
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
export const ResolveEscrow = /* @__PURE__ */ actionRoute(
  "ResolveEscrow",
  "resolution",
  S.ResolutionBody,
  OPS,
);
export const RequestEvidence = /* @__PURE__ */ actionRoute(
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
export const ResumeEscrow = /* @__PURE__ */ actionRoute("ResumeEscrow", "resume", S.ResumeBody, OPS);
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
// A call marked pure, so that a bundle that does not read the list can drop it: an array spread in a
// plain constant is kept, and with it every route (9 KB more in each handler's bundle, measured).
export const ROUTES = /* @__PURE__ */ (() =>
  [
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
    // The kinds' own actions (each kind's folder declares its routes; functions/domain/kinds/api.ts lists them).
    ...KIND_ROUTES,
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
  ] as const satisfies readonly (GatewayRoute | FunctionRoute | ActionRoute)[])();

/** The id of every route: its function's id, its operationId. */
export type RouteId = (typeof ROUTES)[number]["id"];

/** The routes served by a function of their own. */
export const FUNCTION_ROUTES: readonly FunctionRoute[] = /* @__PURE__ */ ROUTES.filter(
  (r): r is Exclude<(typeof ROUTES)[number], GatewayRoute> => r.kind !== "gateway",
);
