import * as z from "zod/mini";
import { PROBLEM_CODES } from "../functions/api/problem";
import { amount, doc, timestamp } from "../functions/api/schema-kit";
import { EVENT_TYPES } from "../functions/domain/events";
import { KIND_FIELDS } from "../functions/domain/kinds/api";
import { KINDS } from "../functions/domain/kinds/registry";
import { OPS_ALERT_TYPES } from "../functions/domain/ops-alert-types";
import { OUTCOMES_IF_SILENT } from "../functions/domain/reminders";
import { PENDING_ACTIONS, REASON_CODES, STATUSES } from "../functions/domain/types";

/**
 * Response shapes, for the OpenAPI document only (the handlers build responses
 * from the domain's EscrowView type). Objects are open (`additionalProperties`
 * allowed): API.md's later versions add fields, and a client must ignore what
 * it does not know.
 */

const iso = timestamp;
const int = () => z.int();

export const WindowsSchema = doc(
  z.looseObject({
    deliverySeconds: z.optional(int()),
    confirmationSeconds: z.optional(int()),
    sellerResponseSeconds: z.optional(int()),
    disputeSeconds: z.optional(int()),
    ...Object.fromEntries(Object.keys(KIND_FIELDS.windows()).map((key) => [key, z.optional(int())])),
    reminderSeconds: doc(z.optional(int()), {
      description:
        "Every kind: how long before each deadline that ends a wait by itself `escrow.deadline_approaching` is published (0 to 604800; 0: no reminders; default 86400). Always shown.",
      example: 86400,
    }),
  }),
  {
    id: "Windows",
    description:
      "The escrow kind's windows, in seconds, each with its default filled in, and every kind's `reminderSeconds`.",
  },
);

export const EvidenceRequestSchema = doc(
  z.looseObject({
    from: z.enum(["buyer", "seller", "both"]),
    dueAt: doc(iso(), { description: "When the evidence is due: the request's time plus `dueSeconds`." }),
    note: doc(z.string(), { example: "Please upload the courier's delivery photo and the unboxing video." }),
  }),
  {
    id: "EvidenceRequest",
    description: "What ops last asked the parties for, and by when (a later request replaces it).",
  },
);

export const EvidenceItemSchema = doc(
  z.looseObject({
    id: doc(z.string(), { description: "Evidence id (`evd_…`).", example: "evd_5f0c9a1b2d3e4f5a6b7c8d9e" }),
    by: doc(z.enum(["buyer", "seller"]), { description: "The party who added it." }),
    text: doc(z.string(), {
      example: "The screen was cracked on arrival; photos of the box and the screen attached.",
    }),
    attachments: doc(
      z.array(
        z.looseObject({
          name: doc(z.string(), { example: "screen.jpg" }),
          contentType: doc(z.string(), { example: "image/jpeg" }),
          sha256: doc(z.string(), {
            description: "The SHA-256 of the file (64 lower-case hex characters).",
            example: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
          }),
          uri: doc(z.string(), { example: "https://files.example.com/disputes/screen.jpg" }),
        }),
      ),
      { description: "References to files the marketplace keeps; `[]` when none were given." },
    ),
    at: iso(),
  }),
  {
    id: "EvidenceItem",
    description: "A piece of dispute evidence: a party's statement and its files' references.",
  },
);

export const EvidenceListSchema = doc(z.looseObject({ items: z.array(EvidenceItemSchema) }), {
  id: "EvidenceList",
  description: "Both parties' evidence, oldest first, in one page (at most 40 items: 20 a party).",
});

export const ReminderSchema = doc(
  z.looseObject({
    deadline: doc(iso(), { description: "The deadline this reminder is for (the escrow's `deadline`)." }),
    party: doc(z.enum(["buyer", "seller", "ops"]), {
      description: "Who must act before the deadline (for a lease's end the renter, `buyer`).",
    }),
    outcomeIfSilent: doc(z.enum(OUTCOMES_IF_SILENT), {
      description: "What happens by itself at the deadline when no one acts.",
    }),
  }),
  { id: "Reminder" },
);

const money = amount;

export const OpsUserSchema = doc(
  z.looseObject({
    id: doc(z.string(), { description: "A signed-in user's `sub`; for the ops client, its client id." }),
    name: doc(z.string(), {
      description: "The user's `username`; for the ops client, its client id.",
      example: "ops-alice",
    }),
  }),
  { id: "OpsUser", description: "The ops staff member who acted (API.md v1.2)." },
);

export const ResolutionSchema = doc(
  z.looseObject({
    outcome: z.enum(["release", "refund", "split"]),
    refundAmount: doc(money(), {
      description: "What goes back to the buyer of what was held: 0 for a release, all of it for a refund.",
    }),
    reasonCode: z.nullable(z.enum(REASON_CODES)),
    note: z.string(),
    decidedBy: OpsUserSchema,
    decidedAt: iso(),
  }),
  {
    id: "Resolution",
    description: "The ops decision (the latest, when a refused payout was decided again).",
  },
);

export const DisbursementSchema = doc(
  z.looseObject({
    at: iso(),
    paidToSeller: money(),
    refundedToBuyer: money(),
    platformFee: money(),
    reason: z.enum(["settlement", "undisputed_part", "deposit_forfeited"]),
  }),
  { id: "Disbursement" },
);

export const EscrowSchema = doc(
  z.looseObject({
    id: doc(z.string(), { example: "esc_01JD6Z2Q8M3V4N5P6R7S8T9V0W" }),
    kind: z.enum(KINDS),
    status: z.enum(STATUSES),
    buyerId: z.string(),
    sellerId: z.string(),
    amount: int(),
    currency: z.string(),
    fee: int(),
    description: z.nullable(z.string()),
    listingRef: z.nullable(z.string()),
    metadata: z.record(z.string(), z.string()),
    windows: WindowsSchema,
    deadline: doc(z.nullable(iso()), {
      description:
        "When the current wait ends by itself; null in terminal statuses and while an accepted action is pending.",
    }),
    pendingAction: doc(z.nullable(z.enum(PENDING_ACTIONS)), {
      description:
        "The accepted (202) action the workflow has not applied yet; `auto-…` when a window elapsed.",
    }),
    delivery: z.nullable(
      z.looseObject({
        carrier: z.nullable(z.string()),
        trackingNumber: z.nullable(z.string()),
        note: z.nullable(z.string()),
        deliveredAt: iso(),
      }),
    ),
    refundRequest: z.nullable(z.looseObject({ amount: int(), reason: z.string(), requestedAt: iso() })),
    dispute: z.nullable(
      z.looseObject({
        openedBy: z.enum(["buyer", "seller"]),
        reason: z.string(),
        openedAt: iso(),
        contestedAmount: doc(z.optional(money()), {
          description: "After a rejected rental claim: the part still held for ops to decide.",
        }),
        evidenceRequest: doc(z.optional(EvidenceRequestSchema), {
          description:
            "Once ops asked for evidence (`POST /v1/ops/escrows/{id}/evidence-request`): the latest request.",
        }),
      }),
    ),
    // Each kind's own fields (its module's api.ts).
    ...KIND_FIELDS.view(),
    funded: doc(money(), { description: "The total ever held (0 before the hold; the amount once FUNDED)." }),
    held: doc(money(), { description: "What is held right now (0 in terminal statuses)." }),
    disbursements: doc(z.array(DisbursementSchema), {
      description:
        "The money that has left the escrow so far, oldest first. held + Σ(paidToSeller + refundedToBuyer + platformFee) == funded at every moment.",
    }),
    settlement: doc(
      z.nullable(
        z.looseObject({ paidToSeller: int(), refundedToBuyer: int(), platformFee: int(), settledAt: iso() }),
      ),
      {
        description:
          "Set in RELEASED, REFUNDED and SETTLED: the sum of the disbursements; paidToSeller + refundedToBuyer + platformFee == funded.",
      },
    ),
    failureReason: doc(z.nullable(z.string()), {
      description:
        "Why a CANCELLED escrow never held money: `payment_declined`, `payment_unavailable`, `cancelled_by_ops`.",
    }),
    needsOpsAttention: doc(z.boolean(), {
      description:
        "Something no retry can decide happened (the provider refused a payout for good, or the workflow kept failing); ops were alerted and settle it with a resolution.",
    }),
    attentionReason: doc(z.nullable(z.enum(["payout_rejected", "unexpected_step", "workflow_failing"])), {
      description: "Why the escrow needs ops, else null.",
    }),
    resolution: doc(z.nullable(ResolutionSchema), {
      description: "Once ops decided: their resolution; else null.",
    }),
    createdAt: iso(),
    updatedAt: iso(),
    version: doc(int(), { description: "Grows by one with every write to the escrow." }),
  }),
  { id: "Escrow" },
);

export const HandoverCodeSchema = doc(
  z.looseObject({
    code: doc(z.string(), { example: "48213907", description: "8 digits." }),
    expiresAt: iso(),
  }),
  { id: "HandoverCode" },
);

export const EscrowListSchema = doc(
  z.looseObject({ items: z.array(EscrowSchema), nextCursor: z.nullable(z.string()) }),
  {
    id: "EscrowList",
  },
);

export const EscrowEventsSchema = doc(
  z.looseObject({
    items: z.array(
      z.looseObject({
        at: iso(),
        type: doc(z.string(), { example: "delivered" }),
        actor: z.enum(["buyer", "seller", "marketplace", "ops", "system"]),
        opsUser: doc(z.optional(OpsUserSchema), {
          description: "On an ops action's entry (actor `ops`): who among ops acted (API.md v1.2).",
        }),
        data: doc(z.record(z.string(), z.unknown()), {
          description: "What the entry recorded; for `evidence_added` the evidence item.",
        }),
        version: doc(z.optional(int()), {
          description:
            "The escrow's version after the entry. Absent on `evidence_added` entries: evidence is not a transition and does not change the version.",
        }),
      }),
    ),
  }),
  { id: "EscrowEventList" },
);

export const ProblemSchema = doc(
  z.looseObject({
    type: doc(z.string(), { example: "urn:escrow:problem:validation_error" }),
    title: z.string(),
    status: int(),
    detail: z.string(),
    code: z.enum(PROBLEM_CODES),
    errors: z.optional(z.array(z.looseObject({ path: z.string(), message: z.string() }))),
  }),
  { id: "Problem" },
);

export const EscrowEventSchema = doc(
  z.looseObject({
    id: doc(z.string(), {
      description:
        "A repeated delivery carries the same id: stable per escrow and version for a transition, per evidence item for `escrow.evidence_added`, per escrow and deadline for `escrow.deadline_approaching`.",
      example: "evt_01JD6Z2Q8M3V4N5P6R7S8T9V0W_7",
    }),
    type: z.enum(EVENT_TYPES),
    occurredAt: doc(iso(), {
      description:
        "When it happened; for `escrow.deadline_approaching` the reminder's time (deadline − `windows.reminderSeconds`), not when it was published.",
    }),
    tenantId: z.string(),
    escrowId: z.string(),
    escrow: EscrowSchema,
    actor: doc(z.optional(z.literal("ops")), {
      description:
        "On an event an ops action caused (an evidence request; the settlement of a resolution): `ops`.",
    }),
    opsUser: doc(z.optional(OpsUserSchema), {
      description: "With `actor`: who among ops acted (for a settlement, who decided the resolution).",
    }),
    evidence: doc(z.optional(EvidenceItemSchema), {
      description: "`escrow.evidence_added` only: the item added.",
    }),
    evidenceRequest: doc(z.optional(EvidenceRequestSchema), {
      description: "`escrow.evidence_requested` only: what ops asked for, and by when.",
    }),
    reminder: doc(z.optional(ReminderSchema), {
      description:
        "`escrow.deadline_approaching` only: which deadline, who must act, and what happens if no one does.",
    }),
  }),
  { id: "EscrowEvent" },
);

export const OpsAlertSchema = doc(
  z.looseObject({
    id: doc(z.string(), {
      description: "Stable per alert: a repeated delivery of one alert carries the same id.",
      example: "alr_01JD6Z2Q8M3V4N5P6R7S8T9V0W_9",
    }),
    type: z.enum(OPS_ALERT_TYPES),
    occurredAt: doc(iso(), { description: "When what the alert reports happened." }),
    tenantId: z.string(),
    escrowId: z.string(),
    escrow: EscrowSchema,
    reason: doc(z.optional(z.string()), { description: "Why ops are told, in words." }),
    consoleUrl: doc(z.optional(z.string()), { description: "The escrow's page in the ops console." }),
  }),
  {
    id: "OpsAlert",
    description:
      "A message of the ops-alerts topic (message attributes `type` and `tenantId`, as escrow events): `escrow.dispute_unresolved` (a dispute's window passed; the buyer was refunded), `escrow.needs_ops` (something no retry can decide), `escrow.dependency_failing` (a dependency has failed for 15 minutes; the escrow resumes by itself once it recovers) and `escrow.dependency_recovered`.",
  },
);

export const OpenApiDocumentSchema = doc(
  z.looseObject({
    openapi: doc(z.string(), { example: "3.1.0" }),
    info: z.looseObject({}),
    paths: z.looseObject({}),
  }),
  { id: "OpenApiDocument", description: "An OpenAPI 3.1 document." },
);

export const EventSchemaListSchema = doc(
  z.looseObject({
    items: z.array(
      z.looseObject({
        type: doc(z.string(), { example: "escrow.funded" }),
        schema: doc(z.record(z.string(), z.unknown()), {
          description: "A JSON Schema (draft 2020-12) of the type's message body, with its own `$id`.",
        }),
      }),
    ),
  }),
  { id: "EventSchemaList", description: "One schema per event type: escrow events, then ops alerts." },
);

export const HealthSchema = doc(z.looseObject({ status: z.literal("ok") }), { id: "Health" });
