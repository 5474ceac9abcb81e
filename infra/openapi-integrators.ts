import type { ZodOpenApiPathItemObject } from "zod-openapi";
import type { RouteDoc } from "./openapi-route-doc";
import { EventSchemaListSchema, OpenApiDocumentSchema, OpsAlertSchema } from "./openapi-schemas";

/** A document the API serves about itself: no token, so nothing but 429 and 500 can go wrong. */
const aboutItself = (summary: string, description: string, ok: RouteDoc["ok"]): RouteDoc => ({
  summary,
  description: `No token needed. ${description}`,
  ok,
  errors: [429, 500],
});

/**
 * The OpenAPI document's prose for what integrators install and verify
 * against (API.md v1.2, "For integrators"): the two documents the API serves
 * about itself, and the ops alerts' webhook beside the escrow events'.
 */
export const INTEGRATOR_DOCS: Record<"GetOpenApiDocument" | "ListEventSchemas", RouteDoc> = {
  GetOpenApiDocument: aboutItself(
    "This OpenAPI document",
    "The OpenAPI 3.1 document of the API, as `npm run openapi` generates it, with the serving address first in `servers`. The TypeScript client (`client/`) is generated from it.",
    { schema: OpenApiDocumentSchema, description: "The OpenAPI document." },
  ),
  ListEventSchemas: aboutItself(
    "The event schemas",
    'One JSON Schema (draft 2020-12) per event type, escrow events and ops alerts: `{ "items": [{ "type", "schema" }] }`. Each schema stands alone (no external `$ref`; shared shapes are in its `$defs`), names itself with `$id` (`urn:escrow:event-schema:<type>`), fixes `type` to its own, requires at least `id`, `type`, `occurredAt`, `tenantId` and `escrowId`, allows fields it does not list (later versions add fields) and carries an example in `examples`. Every message the service publishes is valid against its type\'s schema.',
    { schema: EventSchemaListSchema, description: "Every event type's schema." },
  ),
};

export const OPS_ALERT_WEBHOOK: ZodOpenApiPathItemObject = {
  post: {
    operationId: "opsAlert",
    summary: "An ops alert (SNS message body)",
    description:
      "Published to the ops-alerts topic, with message attributes `type` and `tenantId` as escrow events. A repeated delivery of one alert carries the same `id`.",
    security: [],
    requestBody: { required: true, content: { "application/json": { schema: OpsAlertSchema } } },
    responses: { 200: { description: "Received. SNS counts any 2xx as delivered." } },
  },
};
