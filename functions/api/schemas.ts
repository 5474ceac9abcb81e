import * as z from "zod/mini";
import {
  actorId,
  doc,
  instant,
  minorUnits,
  minorUnitsType,
  note,
  optionalText,
  partyId,
  schema,
  text,
  wellFormed,
  windowSeconds,
} from "./schema-kit";

export { doc } from "./schema-kit";

import type { CreateEscrowInput } from "../domain/create-input";
import { KIND_MODULES, KINDS } from "../domain/kinds/registry";
import { DEFAULT_CURRENCIES } from "../domain/money";
import { REASON_CODES } from "../domain/types";
import { DAY, MAX_EXTENSION_SECONDS, MAX_REMINDER_SECONDS } from "../domain/windows";

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

/** Each kind's default windows, in words ("goods: delivery 7 days, …; service: …"), from the kinds' modules. */
const defaultWindowsText = () =>
  Object.values(KIND_MODULES)
    .map(
      (kind) =>
        `${kind.name}: ${Object.entries(kind.windows)
          .filter(([key]) => key !== "reminderSeconds")
          .map(
            ([key, seconds]) =>
              `${key.replace(/Seconds$/, "").replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)} ${seconds / DAY} days`,
          )
          .join(", ")}`,
    )
    .join("; ");

export const WindowsInput = schema(() =>
  doc(
    z.strictObject({
      deliverySeconds: z.optional(windowSeconds()),
      confirmationSeconds: z.optional(windowSeconds()),
      sellerResponseSeconds: z.optional(windowSeconds()),
      disputeSeconds: z.optional(windowSeconds()),
      claimSeconds: z.optional(windowSeconds()),
      claimResponseSeconds: z.optional(windowSeconds()),
      inspectionSeconds: z.optional(windowSeconds()),
      reminderSeconds: z.optional(
        doc(z.int().check(z.minimum(0), z.maximum(MAX_REMINDER_SECONDS)), {
          description:
            "Every kind: how long before each deadline that ends a wait by itself `escrow.deadline_approaching` is published, from 0 (no reminders) to 7 days; default 1 day. A wait shorter than twice this has no reminder.",
          example: 86400,
        }),
      ),
    }),
    {
      id: "WindowsInput",
      description: `How long each wait lasts; each kind has its own windows, and a window of another kind is 400 (\`reminderSeconds\` is every kind's). A window left out takes its default per kind — ${defaultWindowsText()}.`,
    },
  ),
);

export const LeaseInput = schema(() =>
  doc(
    z.strictObject({
      startsAt: instant(
        "When the lease starts; a cancellation is possible only before.",
        "2026-12-01T00:00:00Z",
      ),
      endsAt: instant(
        "When the lease ends: after startsAt, in the future and at most 5 years from now. The deposit is held until then (or a move-out).",
        "2028-11-30T00:00:00Z",
      ),
    }),
    { id: "LeaseInput", description: "rental_deposit only, and required there." },
  ),
);

/* @__NO_SIDE_EFFECTS__ */ const metadata = () =>
  doc(
    z
      .record(
        z.string().check(z.minLength(1), z.maxLength(40), wellFormed()),
        z.string().check(z.maxLength(500), wellFormed()),
      )
      .check(z.refine((m) => Object.keys(m).length <= 20, "at most 20 keys")),
    {
      description:
        "Up to 20 string keys (1-40 characters) with string values (up to 500 characters). The key `__proto__` is refused (400), here as anywhere in a body.",
    },
  );

/* @__NO_SIDE_EFFECTS__ */ const createShape = (currencies: readonly string[]) => ({
  buyerId: partyId("The buyer, a user id of the marketplace (1-128 characters)."),
  sellerId: partyId("The seller, a user id of the marketplace (1-128 characters); not the buyer."),
  amount: minorUnits(
    "Integer minor units (12999 = 129.99 CNY; for JPY the unit is the yen). Floats, strings, zero, negatives and amounts above 2^53-1 are rejected.",
  ),
  currency: doc(
    z.enum(currencies as [string, ...string[]], {
      error: (issue) =>
        issue.code === "invalid_value" && issue.input !== undefined
          ? `must be one of ${currencies.join(", ")} (ISO 4217, upper case)`
          : undefined,
    }),
    { description: "ISO 4217 code in upper case, one of the configured currencies.", example: "CNY" },
  ),
  fee: z.optional(
    doc(z.int({ error: minorUnitsType }).check(z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER)), {
      description:
        "Platform commission in minor units, 0 ≤ fee ≤ amount, taken from the seller's side only on what is released to the seller (pro rata on a split, rounded down). Default 0.",
      example: 390,
    }),
  ),
  paymentMethod: doc(text(255), {
    description:
      "The buyer's payment authorisation. Sandbox provider: `pm_sandbox_decline` is declined, `pm_sandbox_unavailable` is an outage (retried, then cancelled), any other `pm_sandbox_…` succeeds; other values are rejected while the sandbox is configured.",
    example: "pm_sandbox_ok",
  }),
  kind: z.optional(doc(z.enum(KINDS), { description: "Default `goods`." })),
  description: optionalText(1000),
  listingRef: optionalText(255),
  metadata: z.optional(metadata()),
  windows: z.optional(WindowsInput),
  lease: z.optional(LeaseInput),
  deposit: z.optional(
    minorUnits(
      "vehicle (required there): the reservation deposit held first, 1 to amount − 1; the balance is a second hold.",
    ),
  ),
  depositForfeitable: z.optional(
    doc(z.boolean(), {
      description:
        "vehicle only (default false): a buyer who withdraws, or lets the inspection window pass, loses the deposit to the seller (less its pro-rata fee).",
    }),
  ),
  vehicle: z.optional(
    doc(
      z.strictObject({
        vin: doc(
          z
            .string()
            .check(z.regex(/^[A-HJ-NPR-Z0-9]{17}$/, "must be 17 characters of A-Z and 0-9 without I, O, Q")),
          { example: "LSVAU2180N2183294" },
        ),
        description: z.optional(doc(text(200), { example: "2019 Passat 1.4T" })),
      }),
      { id: "VehicleInput", description: "vehicle only, and required there." },
    ),
  ),
});

/** The create body for the configured currencies (SUPPORTED_CURRENCIES). */
/* @__NO_SIDE_EFFECTS__ */ export const createEscrowBody = (
  currencies: readonly string[] = DEFAULT_CURRENCIES,
): z.ZodMiniType<CreateEscrowInput> =>
  z.strictObject(createShape(currencies)).check(
    z.superRefine((body, ctx) => {
      if (body.buyerId === body.sellerId)
        ctx.addIssue({
          code: "custom",
          path: ["sellerId"],
          message: "must differ from buyerId",
          input: body.sellerId,
        });
      if (body.fee !== undefined && body.fee > body.amount)
        ctx.addIssue({ code: "custom", path: ["fee"], message: "must not exceed amount", input: body.fee });
    }),
  );

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
    titleTransferRef: z.optional(
      doc(text(64), {
        description: "vehicle (required there): the number of the registration-transfer document.",
        example: "BJ-2026-118833",
      }),
    ),
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

// rental_deposit

/* @__NO_SIDE_EFFECTS__ */ const attachment = () =>
  z.strictObject({
    name: text(255),
    contentType: doc(
      z
        .string()
        .check(
          z.minLength(3),
          z.maxLength(255),
          z.regex(/^[\w.+-]+\/[\w.+-]+$/, "must be a media type, e.g. image/jpeg"),
        ),
      { example: "image/jpeg" },
    ),
    sha256: doc(z.string().check(z.regex(/^[0-9a-f]{64}$/, "must be 64 lower-case hex characters")), {
      description: "The SHA-256 of the file, which stays with the marketplace.",
    }),
    uri: doc(
      z
        .string()
        .check(
          z.maxLength(2048),
          z.regex(/^https:\/\/[^\s/$.?#][^\s]*$/, "must be an https: URL"),
          wellFormed(),
        ),
      { example: "https://files.example.com/claims/kitchen.jpg" },
    ),
  });

export const AttachmentsInput = schema(() =>
  doc(z.array(attachment()).check(z.maxLength(10)), {
    id: "Attachments",
    description: "Up to 10 references to files the marketplace keeps, each with its SHA-256.",
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
