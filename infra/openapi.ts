import { writeFileSync } from "node:fs";
import * as z from "zod/mini";
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from "zod-openapi";
import { PROBLEMS } from "../functions/api/problem";
import type { ActionDoc } from "../functions/api/route-kit";
import {
  DEFAULT_BODY_SETTINGS,
  type FunctionRoute,
  ROUTES,
  type RouteId,
  SCOPE_DESCRIPTIONS,
  SCOPES,
} from "../functions/api/routes";
import { doc } from "../functions/api/schemas";
import { KIND_ROUTE_DOCS } from "../functions/domain/kinds/api";
import { KIND_MODULES } from "../functions/domain/kinds/registry";
import {
  EVENT_EXAMPLES,
  EXAMPLE_ATTACHMENT,
  EXAMPLE_BUYER_EVIDENCE,
  EXAMPLE_SELLER_EVIDENCE,
} from "./openapi-examples";
import { INTEGRATOR_DOCS, OPS_ALERT_WEBHOOK } from "./openapi-integrators";
import { OPS_DOCS } from "./openapi-ops";
import {
  ACTION_ERRORS,
  ACTION_NOTES,
  accepted,
  LIST_ERRORS,
  READ_ERRORS,
  type RouteDoc,
} from "./openapi-route-doc";
import {
  EscrowEventSchema,
  EscrowEventsSchema,
  EscrowListSchema,
  EscrowSchema,
  EvidenceItemSchema,
  EvidenceListSchema,
  HandoverCodeSchema,
  HealthSchema,
  OpsAlertSchema,
  ProblemSchema,
} from "./openapi-schemas";

/** The kinds with in-person handover, in words ("goods, service or vehicle"). */
const handoverKinds = () => {
  const names = Object.values(KIND_MODULES)
    .filter((k) => k.handover)
    .map((k) => k.name);
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)}` : (names[0] ?? "");
};

/**
 * The OpenAPI 3.1 document of the public API, generated from the route table
 * the handlers enforce and the stack deploys (functions/api/routes.ts): paths,
 * methods, scopes, request bodies and queries, success statuses. This file
 * adds only prose. Where API.md is silent, the choice made is written into the
 * descriptions here.
 *
 * `npx tsx infra/openapi.ts [file]` writes it (default: stdout).
 */

/** Where evidence may be added: a contested refund or dispute, and each kind's own such statuses ("A, B or C"). */
const EVIDENCE_STATUSES_TEXT = (() => {
  const statuses = [
    "REFUND_REQUESTED",
    ...Object.values(KIND_MODULES).flatMap((kind) => kind.evidenceAlsoIn ?? []),
    "DISPUTED",
  ];
  return `${statuses.slice(0, -1).join(", ")} or ${statuses.at(-1)}`;
})();

/** A kind's own action, as its folder describes it (functions/domain/kinds/<kind>/api.ts). */
function kindActionDocs(): Record<keyof typeof KIND_ROUTE_DOCS, RouteDoc> {
  const docs = {} as Record<keyof typeof KIND_ROUTE_DOCS, RouteDoc>;
  for (const [id, d] of Object.entries(KIND_ROUTE_DOCS) as [keyof typeof KIND_ROUTE_DOCS, ActionDoc][])
    docs[id] = { ...d, description: `${d.description} ${ACTION_NOTES}`, ok: accepted, errors: ACTION_ERRORS };
  return docs;
}

const DOCS: Record<RouteId, RouteDoc> = {
  ...kindActionDocs(),
  Health: {
    summary: "Health",
    description: "No token needed. Answered by API Gateway itself.",
    ok: { schema: HealthSchema, description: "The service answers." },
    errors: [429],
  },
  ...INTEGRATOR_DOCS,
  CreateEscrow: {
    summary: "Create an escrow",
    description:
      "Creates the escrow in `PENDING_FUNDS` and starts its workflow, which takes the hold on `paymentMethod` (then `FUNDED`, or `CANCELLED` with `failureReason`). `Idempotency-Key` is required; the key determines the escrow id, so a key stays bound to its escrow (the same key and body replay the 201, another body is 422). Unknown fields are rejected. Optional text fields may be null. A 503 changes nothing: when the store took the write but could not confirm it within the request's time, the escrow's workflow is not started and nothing is held; a retry with the same key starts it and answers 201 without `Idempotent-Replayed` (no earlier request started it), and a key never retried is let go after 24 hours (`CANCELLED`, `failureReason: creation_unconfirmed`).",
    ok: { schema: EscrowSchema, description: "Created. `Location` names the new escrow." },
    errors: [400, 401, 403, 409, 422, 429, 500, 503],
  },
  ListEscrows: {
    summary: "List escrows",
    description:
      "The tenant's escrows, newest first, filtered by `buyerId`, `sellerId` and `status`. Lists are eventually consistent (a GET of one escrow is strongly consistent). With a `status` filter a page may hold fewer than `limit` items while `nextCursor` is still set; follow it until it is null.",
    ok: { schema: EscrowListSchema, description: "A page of escrows." },
    errors: LIST_ERRORS,
  },
  GetEscrow: {
    summary: "Get an escrow",
    description: "Strongly consistent. Another tenant's escrow does not exist for the caller (404).",
    ok: { schema: EscrowSchema, description: "The escrow." },
    errors: READ_ERRORS,
  },
  ListEscrowEvents: {
    summary: "An escrow's history",
    description:
      "One entry per transition and accepted action, oldest first, and one per piece of dispute evidence in its place among them. `type` is one of created, funded, reserved, payment_failed, delivered, extended, refund_requested, refund_accepted, refund_rejected, disputed, confirmed, cancellation_requested, resolution_accepted, window_elapsed, escalated, moved_out, lease_renewed, deductions_claimed, deposit_returned, claim_accepted, claim_rejected, partially_settled, inspected, balance_declined, evidence_requested, evidence_added, released, refunded, settled, cancelled; `actor` is the role that acted; `data` holds what the entry recorded (actorId, deadlines, amounts, ledger postings of the escrow's double-entry ledger) — never a handover code; `version` is the escrow's version after the entry. An `evidence_added` entry (`actor` `buyer` or `seller`, `data` the evidence item as `GET …/evidence` shows it) has no `version`: evidence is not a transition and leaves the version unchanged. An `evidence_requested` entry (actor `ops`) holds `from`, `dueAt`, `note` and, when the request moved it, the dispute's new `deadline`. Reminders are not entries. The `settling` record the workflow writes before it calls the payment provider is bookkeeping, not listed (versions may skip one there).",
    ok: { schema: EscrowEventsSchema, description: "The history." },
    errors: READ_ERRORS,
  },
  RecordDelivery: {
    summary: "The seller delivered",
    description: `FUNDED → DELIVERED; the confirmation window starts. ${ACTION_NOTES}`,
    ok: accepted,
    errors: ACTION_ERRORS,
  },
  ConfirmReceipt: {
    summary: "The buyer confirms receipt",
    description: `DELIVERED, then RELEASED: the seller is paid the amount less the fee. The 202 shows \`pendingAction: "confirmation"\`. ${ACTION_NOTES}`,
    ok: accepted,
    errors: ACTION_ERRORS,
  },
  ExtendConfirmation: {
    summary: "The buyer extends the inspection",
    description: `Adds \`seconds\` to the current deadline. All extensions of an escrow together may add at most 30 days, and an escrow may be extended at most 20 times; beyond either it is 409. ${ACTION_NOTES}`,
    ok: accepted,
    errors: ACTION_ERRORS,
  },
  RequestRefund: {
    summary: "The buyer asks for a refund",
    description: `DELIVERED → REFUND_REQUESTED; the seller response window starts. \`amount\` above the escrow's amount is 400. ${ACTION_NOTES}`,
    ok: accepted,
    errors: ACTION_ERRORS,
  },
  RespondToRefund: {
    summary: "The seller answers the refund request",
    description: `Accept: REFUNDED (full) or SETTLED (partial, fee pro rata on the seller's share, rounded down). Reject: DISPUTED (opened by the seller, \`note\` as the reason). ${ACTION_NOTES}`,
    ok: accepted,
    errors: ACTION_ERRORS,
  },
  OpenDispute: {
    summary: "Buyer or seller opens a dispute",
    description: `FUNDED, DELIVERED or REFUND_REQUESTED → DISPUTED; ops decide; the dispute window starts. When it passes unresolved the buyer is refunded and ops are alerted. ${ACTION_NOTES}`,
    ok: accepted,
    errors: ACTION_ERRORS,
  },
  CancelEscrow: {
    summary: "Buyer or seller cancels before delivery",
    description: `FUNDED, then REFUNDED: everything goes back to the buyer, no fee. A rental deposit can be cancelled only before \`lease.startsAt\` (409 after). ${ACTION_NOTES}`,
    ok: accepted,
    errors: ACTION_ERRORS,
  },
  IssueHandoverCode: {
    summary: "The buyer's handover code",
    description: `${handoverKinds()}, by the buyer, in FUNDED: a new 8-digit code from a cryptographically secure source, valid 10 minutes and once. The buyer's app shows it at the meeting; the seller's app sends it with \`delivery\` (\`handoverCode\`), which proves the handover. Asking again voids the previous code; five wrong codes void the current one. The code is stored only as a hash and appears in no resource, event, log line or history entry. Never replayed: an \`Idempotency-Key\` is ignored.`,
    ok: { schema: HandoverCodeSchema, description: "The code and when it expires." },
    errors: [400, 401, 403, 404, 409, 429, 500, 503],
  },
  AddEvidence: {
    summary: "Buyer or seller adds dispute evidence",
    description: `By the buyer or the seller (\`actorId\`), in ${EVIDENCE_STATUSES_TEXT}: a statement (\`text\`, 1-2,000 characters) and up to 10 references to files the marketplace keeps — the service stores each \`uri\` (https:) and the file's \`sha256\`, never the file. Answers 201 with the evidence item: \`id\` starts \`evd_\`, \`by\` is the party, \`attachments\` is \`[]\` when none were given. Checks in this order: the body's shape (400), the escrow exists for the tenant (404), the party already has 20 pieces of evidence (400, path \`text\`), \`actorId\` is neither the buyer nor the seller (403), then 409 \`invalid_transition\` when the status is not ${EVIDENCE_STATUSES_TEXT}, while an accepted action is pending, or once the current window's deadline has passed. Evidence moves no money and is not a transition: the escrow's \`version\` does not change, and the history (\`GET …/events\`) shows it as an \`evidence_added\` entry without a \`version\`. The request publishes \`escrow.evidence_added\` with the item, waiting on SNS for about 1.5 s at most; when SNS fails the answer is still 201 and the reconciler publishes the event within about a minute plus one reconciliation period, with the same event id. An \`Idempotency-Key\` is optional; with one, a retry replays the 201 with the same item (header \`Idempotent-Replayed: true\`).`,
    ok: { schema: EvidenceItemSchema, description: "Added: the evidence item (on a replay, the same item)." },
    errors: ACTION_ERRORS,
    examples: {
      request: {
        withAttachment: {
          summary: "The buyer's statement with one photo",
          value: { actorId: "u-1001", text: EXAMPLE_BUYER_EVIDENCE.text, attachments: [EXAMPLE_ATTACHMENT] },
        },
        textOnly: {
          summary: "The seller's statement, no files",
          value: { actorId: "u-2002", text: EXAMPLE_SELLER_EVIDENCE.text },
        },
      },
      response: {
        withAttachment: { summary: "The buyer's item", value: EXAMPLE_BUYER_EVIDENCE },
        textOnly: { summary: "The seller's item (`attachments: []`)", value: EXAMPLE_SELLER_EVIDENCE },
      },
    },
  },
  ListEvidence: {
    summary: "An escrow's dispute evidence",
    description:
      'For the marketplace and for ops staff: both parties\' evidence, oldest first, all of it in one page (at most 40 items, 20 a party; no cursor). An escrow without evidence answers `{ "items": [] }`. Strongly consistent.',
    ok: { schema: EvidenceListSchema, description: "Every piece of evidence, oldest first." },
    errors: READ_ERRORS,
    examples: {
      response: {
        bothParties: {
          summary: "The buyer's and the seller's evidence",
          value: { items: [EXAMPLE_BUYER_EVIDENCE, EXAMPLE_SELLER_EVIDENCE] },
        },
      },
    },
  },
  ...OPS_DOCS,
};

const ERROR_TEXT: Record<number, string> = {
  400: "`validation_error`: the request is invalid (body, query, path or headers; a body over 16 KiB). Nothing was changed.",
  401: '`unauthorized`: missing, malformed, forged or expired bearer token. `WWW-Authenticate` names the scheme (RFC 6750): `Bearer realm="escrow"` when no Bearer token was sent, with `error="invalid_token"` and an `error_description` saying expired, malformed or invalid when one was (in AWS the gateway sends one challenge for every 401, with `error="invalid_token"`, and the problem\'s `detail` says which).',
  403: "`forbidden`: the token lacks the route's scope, the client is not registered with a marketplace, or `actorId` is not allowed to act.",
  404: "`not_found`: no such escrow for this tenant.",
  409: "`invalid_transition` (not allowed in the current status; nothing changed) or `idempotency_in_progress` (the first request with this key is still running; retry shortly).",
  422: "`idempotency_key_reused`: the key was used with a different request.",
  429: "`rate_limited`: throttled; retry with backoff.",
  500: "`internal_error`: nothing internal is disclosed; safe to retry with the same Idempotency-Key. Unlike a 503 it does not promise that nothing changed: it is also the answer when the store took a write (a creation's confirmation, a piece of evidence) without answering and could not be read back — the outcome is unknown, and a retry with the same key answers with what was created.",
  503: "`unavailable`: a service the request depends on failed briefly and nothing was changed; retry after `Retry-After` seconds with the same Idempotency-Key.",
};

/** The component name of a route's request body: `CreateEscrowRequest`, `DeliveryRequest`, … */
const requestName = (route: FunctionRoute) =>
  `${("action" in route ? String(route.action) : route.id).replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase())}Request`;

/**
 * Each route's documented request body (default settings), named as a
 * component in zod's registry once per process: the registry refuses a second
 * schema under a name, and the create body is built afresh per call.
 */
const documentedBodies = new Map<string, z.ZodMiniType>();
function documentedBody(route: FunctionRoute): z.ZodMiniType | undefined {
  if (!route.body) return undefined;
  const name = requestName(route);
  const known = documentedBodies.get(name);
  if (known) return known;
  const body = route.body(DEFAULT_BODY_SETTINGS);
  if (!z.globalRegistry.has(body)) z.globalRegistry.add(body, { id: name });
  documentedBodies.set(name, body);
  return body;
}

const IDEMPOTENCY_KEY_TEXT =
  "1-255 printable ASCII characters, scoped to the tenant. The same key with the same request within 24 hours replays the first successful answer; with another request it is 422; while the first is running it is 409 `idempotency_in_progress`. Failed requests are not stored.";

/** Where the document says the API is: local mode unless the caller (the served document) says more. */
export const LOCAL_SERVER = { url: "http://127.0.0.1:3000", description: "Local mode (npm start)" };

export async function buildOpenApi(
  tokenUrl = "https://<your-cognito-domain>.auth.<region>.amazoncognito.com/oauth2/token",
  servers: { url: string; description: string }[] = [LOCAL_SERVER],
) {
  const problem = { "application/problem+json": { schema: ProblemSchema } };
  const escrowId = z.object({
    id: doc(z.string(), {
      description: "Escrow id (`esc_…`).",
      example: "esc_01JD6Z2Q8M3V4N5P6R7S8T9V0W",
    }),
  });
  const paths: ZodOpenApiPathsObject = {};

  for (const route of ROUTES) {
    const { id, method, path, scopes, status } = route;
    const text = DOCS[id];
    const fn: FunctionRoute | undefined = route.kind === "gateway" ? undefined : route;
    const body = fn && documentedBody(fn);
    const key = doc(z.string(), { description: IDEMPOTENCY_KEY_TEXT });
    const operation: ZodOpenApiOperationObject = {
      operationId: id.charAt(0).toLowerCase() + id.slice(1),
      summary: text.summary,
      description: text.description,
      security: scopes.length ? [{ oauth2: [...scopes] }] : [],
      requestParams: {
        ...(path.includes("{id}") ? { path: escrowId } : {}),
        ...(fn?.query ? { query: fn.query as z.ZodMiniObject } : {}),
        ...(fn?.idempotencyKey
          ? {
              header: z.object({
                "Idempotency-Key": fn.idempotencyKey === "required" ? key : z.optional(key),
              }),
            }
          : {}),
      },
      ...(body
        ? {
            requestBody: {
              required: true,
              content: {
                "application/json": {
                  schema: body,
                  ...(text.examples?.request ? { examples: text.examples.request } : {}),
                },
              },
            },
          }
        : {}),
      responses: {
        [status]: {
          description: text.ok.description,
          ...(fn?.idempotencyKey
            ? {
                headers: {
                  "Idempotent-Replayed": {
                    description: "`true` when this answer replays an earlier request's.",
                    schema: { type: "string" },
                  },
                  ...(fn.kind === "create"
                    ? { Location: { description: "The new escrow's path.", schema: { type: "string" } } }
                    : {}),
                },
              }
            : {}),
          content: {
            "application/json": {
              schema: text.ok.schema,
              ...(text.examples?.response ? { examples: text.examples.response } : {}),
            },
          },
        },
        ...Object.fromEntries(
          text.errors.map((code) => [
            code,
            {
              description: ERROR_TEXT[code] ?? "",
              ...(code === PROBLEMS.unauthorized.status
                ? {
                    headers: {
                      "WWW-Authenticate": {
                        description: "The Bearer challenge (RFC 6750), with why the token was refused.",
                        schema: { type: "string" },
                      },
                    },
                  }
                : {}),
              ...(code === PROBLEMS.unavailable.status
                ? {
                    headers: {
                      "Retry-After": {
                        description: "Seconds to wait before retrying (1-5).",
                        schema: { type: "integer" },
                      },
                    },
                  }
                : {}),
              content: problem,
            },
          ]),
        ),
      },
    };
    paths[path] = { ...paths[path], [method.toLowerCase()]: operation };
  }

  return createDocument({
    openapi: "3.1.0",
    info: {
      title: "Escrow API",
      version: "1.0.0",
      description:
        "Secured transactions for marketplaces: the buyer's money is held, the seller delivers, the buyer confirms and the money is released — or refunded, or split by ops. Money is integer minor units with an ISO 4217 currency. Errors are RFC 9457 problem documents. Escrow events are published to an SNS topic (the `escrowEvent` webhook documents the message body; message attributes `type` and `tenantId` for filter policies); there is no event for creation; ops alerts go to a topic of their own (`opsAlert`). `GET /v1/events/schemas` serves a JSON Schema per event type. A method that a path does not serve is 405 `method_not_allowed` with `Allow` naming the methods it does; a path that does not exist is 404.",
      license: { name: "Proprietary", identifier: "LicenseRef-Proprietary" },
    },
    servers,
    paths,
    webhooks: {
      escrowEvent: {
        post: {
          operationId: "escrowEvent",
          summary: "An escrow event (SNS message body)",
          description:
            "Published to the escrow events topic after a transition is recorded; a subscriber receives the body below (for an HTTP/S subscription, inside SNS's notification envelope as `Message`). Message attributes `type` and `tenantId` carry the event type and the tenant, for filter policies. A repeated delivery of one event carries the same `id`. Subscriptions are made by the operator. Three types are not transitions and carry a field beside `escrow`:\n\n" +
            "- `escrow.evidence_added` (`evidence`: the item) — published by the `POST …/evidence` request that added it (or, when SNS failed, by the reconciler within about a minute plus one reconciliation period, with the same id); the escrow's `version` is unchanged.\n" +
            "- `escrow.evidence_requested` (`evidenceRequest: { from, dueAt, note }`) — ops asked for evidence; `escrow.deadline` is the dispute's deadline as it moved.\n" +
            "- `escrow.deadline_approaching` (`reminder: { deadline, party, outcomeIfSilent }`) — a reminder, published by the reconciler from the record (no workflow state, no transition), `windows.reminderSeconds` (default 86400; 0: none) before a deadline that ends a wait by itself. `occurredAt` is the reminder's time (deadline − reminderSeconds); the `id` is stable per escrow and deadline. Locally the service wakes when a reminder comes due (to the second); in AWS the reconciler, which runs every reconciliation period (default 5 minutes), publishes it at its last run before its time — up to one period early, so that even a lead shorter than the period never falls between two runs — and never at or after the deadline. One per deadline: a deadline that moves (an extension, a lease renewal, an evidence request) gets its own, a wait that ended early has none, and there is none for a wait shorter than twice `reminderSeconds` nor while `needsOpsAttention`. `party` and `outcomeIfSilent` per wait: delivery seller/refund; confirmation buyer/release; seller response seller/accept_refund; dispute ops/refund; lease end buyer/move_out; claim seller/refund; claim response buyer/accept_claim; inspection buyer/forfeit_deposit when `depositForfeitable`, else buyer/refund. Filter on `type` = `escrow.deadline_approaching` to turn them into push notifications or SMS for the party named.",
          security: [],
          requestBody: {
            required: true,
            content: { "application/json": { schema: EscrowEventSchema, examples: EVENT_EXAMPLES } },
          },
          responses: {
            200: { description: "Received. SNS counts any 2xx as delivered." },
            400: {
              description: "Any other answer: SNS retries according to the subscription's delivery policy.",
            },
          },
        },
      },
      opsAlert: OPS_ALERT_WEBHOOK,
    },
    components: {
      schemas: { EscrowEvent: EscrowEventSchema, OpsAlert: OpsAlertSchema },
      securitySchemes: {
        oauth2: {
          type: "oauth2",
          description:
            "OAuth 2.0 (Cognito in AWS; the local server's `/oauth2/token` and `/oauth2/authorize` in local mode). Machines use client credentials: the tenant is the marketplace the client belongs to. People — a marketplace's ops staff — sign in with the authorization code grant and PKCE (S256 only) through the ops console's app client; their token names their tenant (`tenant` claim), and ops actions are recorded under their `sub` and `username`.",
          flows: {
            authorizationCode: {
              authorizationUrl: tokenUrl.replace(/\/token$/, "/authorize"),
              tokenUrl,
              scopes: {
                [SCOPES.ops]: SCOPE_DESCRIPTIONS.ops,
                openid: "The signed-in person's identity (added by the sign-in page).",
              },
            },
            clientCredentials: {
              tokenUrl,
              scopes: Object.fromEntries(
                Object.entries(SCOPES).map(([name, scope]) => [
                  scope,
                  SCOPE_DESCRIPTIONS[name as keyof typeof SCOPES],
                ]),
              ),
            },
          },
        },
      },
    },
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // No top-level await: the served document's Lambda bundles this module as CommonJS.
  void buildOpenApi().then((built) => {
    const doc = JSON.stringify(built, null, 2);
    const out = process.argv[2];
    if (out) writeFileSync(out, `${doc}\n`);
    else process.stdout.write(`${doc}\n`);
  });
}
