import * as z from "zod/mini";
import { AttachmentsInput, actorId, doc, minorUnits, note, optionalText, schema, text } from "./schema-kit";

export { doc } from "./schema-kit";

import { KIND_FIELDS } from "../domain/kinds/api";
import { REASON_CODES } from "../domain/types";
import { DAY, MAX_EXTENSION_SECONDS } from "../domain/windows";

/**
 * The request shapes of the public API. Handlers validate with these schemas
 * (each route names its own in routes.ts), API Gateway's models and the
 * OpenAPI document are generated from them (infra/constructs/api-models.ts,
 * infra/openapi.ts), so none can disagree. They use zod's "mini" build:
 * the same validation, a fraction of the bundle and of the cold start.
 * Documentation (`id`, `description`, `example`) lives in zod's global registry,
 * where the OpenAPI generator reads it. The schemas are marked pure, and the
 * helpers that build them free of side effects, so that a handler's bundle
 * builds (at cold start) only the schemas its route uses.
 */

// The action bodies; routes.ts holds each to its action's command type.
/* @__NO_SIDE_EFFECTS__ */ const handoverCode = () =>
  doc(z.string().check(z.regex(/^[0-9]{8}$/, "must be the 8 digits of the buyer's handover code")), {
    description:
      'The code the buyer\'s app shows at a face-to-face handover: proves it (`delivery.method: "in_person"`). A wrong, expired, used or voided code is 422 `handover_code_invalid`.',
    example: "48213907",
  });

export const DeliveryBody = schema(() =>
  z.strictObject({
    actorId: actorId(),
    carrier: optionalText(100),
    trackingNumber: optionalText(100),
    note: note(),
    // Each kind's own (a car's titleTransferRef: its api.ts).
    ...KIND_FIELDS.delivery(),
    handoverCode: z.optional(handoverCode()),
  }),
);
export const ConfirmationBody = schema(() => z.strictObject({ actorId: actorId() }));
export const ExtensionBody = schema(() =>
  z.strictObject({
    actorId: actorId(),
    seconds: doc(z.int().check(z.minimum(1), z.maximum(MAX_EXTENSION_SECONDS)), {
      description:
        "Added to the current deadline: 1 second to 30 days; all extensions together at most 30 days.",
    }),
  }),
);
export const RefundRequestBody = schema(() =>
  z.strictObject({
    actorId: actorId(),
    amount: z.optional(minorUnits("From 1 to the escrow's amount; defaults to all of it.")),
    reason: text(1000),
  }),
);
export const RefundResponseBody = schema(() =>
  z.strictObject({
    actorId: actorId(),
    accept: z.boolean(),
    note: note(),
  }),
);
export const DisputeBody = schema(() => z.strictObject({ actorId: actorId(), reason: text(1000) }));
export const CancellationBody = schema(() =>
  z.strictObject({
    actorId: actorId(),
    reason: optionalText(1000),
  }),
);
/* @__NO_SIDE_EFFECTS__ */ const resolutionShape = () => ({
  outcome: z.enum(["release", "refund", "split"]),
  refundAmount: z.optional(
    minorUnits(
      "Required for `split` (1 to what is held − 1); for `refund` it may only be all that is held; not allowed for `release`.",
    ),
  ),
  reasonCode: z.optional(
    doc(z.enum(REASON_CODES), {
      description:
        "Why ops decided so (optional in the API; the ops console asks for it). Shown in the escrow's `resolution`.",
      example: "not_as_described",
    }),
  ),
});

export const ResolutionBody = schema(() =>
  z.strictObject({
    ...resolutionShape(),
    note: doc(text(1000), {
      description: "Why, in words: kept in the escrow's `resolution` and its history.",
      example: "The courier's photo shows the damage happened before pickup.",
    }),
  }),
);

/** The resolution's body with `note` optional: what a resolution would move, before deciding it. */
export const ResolutionPreviewBody = schema(() =>
  z.strictObject({ ...resolutionShape(), note: optionalText(1000) }),
);

export const ResumeBody = schema(() =>
  z.strictObject({
    note: doc(text(1000), {
      description: "What ops did about the cause (kept in the history).",
      example: "The seller reopened the payout account; paying out again.",
    }),
  }),
);

export const NoteBody = schema(() =>
  z.strictObject({
    text: doc(text(2000), {
      description: "1–2,000 characters; only ops ever read it.",
      example: "Called the seller: the courier confirms the parcel was damaged in transit.",
    }),
  }),
);

export const AssignmentBody = schema(() =>
  z.strictObject({
    assignee: doc(z.nullable(z.literal("me")), {
      description:
        "`me`: the caller takes the case (even from someone else: the last writer wins); null: nobody holds it.",
      example: "me",
    }),
  }),
);

// dispute evidence

export const EvidenceBody = schema(() =>
  z.strictObject({
    actorId: actorId(),
    text: doc(text(2000), {
      description: "The party's statement, 1–2,000 characters.",
      example: "The screen was cracked on arrival; photos of the box and the screen attached.",
    }),
    attachments: z.optional(AttachmentsInput),
  }),
);

export const EvidenceRequestBody = schema(() =>
  z.strictObject({
    from: doc(z.enum(["buyer", "seller", "both"]), { description: "Whom ops ask for evidence." }),
    dueSeconds: doc(z.int().check(z.minimum(3600), z.maximum(14 * DAY)), {
      description:
        "How long the parties have, from 1 hour to 14 days; the dispute's deadline moves to at least 72 hours after `dueAt`.",
      example: 172800,
    }),
    note: doc(text(1000), {
      description: "What ops need, as the parties will read it.",
      example: "Please upload the courier's delivery photo and the unboxing video.",
    }),
  }),
);

export const HandoverCodeBody = schema(() => z.strictObject({ actorId: actorId() }));

export * from "./list-queries";
