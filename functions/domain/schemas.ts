import * as z from "zod";
import { DEFAULT_CURRENCIES } from "./money";
import { KINDS, STATUSES } from "./types";
import { MAX_EXTENSION_SECONDS, MAX_WINDOW_SECONDS, MIN_WINDOW_SECONDS } from "./windows";

/**
 * The request and response shapes of the public API. Handlers validate with
 * these schemas and the OpenAPI document is generated from them
 * (infra/openapi.ts), so the two cannot disagree.
 */

const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, "must not contain control characters");

export const PartyId = text(128).meta({
  description: "A user id of the marketplace (1-128 characters).",
  example: "u-1001",
});

export const MinorUnits = z
  .number()
  .int("must be an integer number of minor units")
  .positive("must be greater than 0")
  .max(Number.MAX_SAFE_INTEGER)
  .meta({
    description:
      "Integer minor units (12999 = 129.99 CNY; for JPY the unit is the yen). Floats, strings, zero and negatives are rejected.",
    example: 12999,
  });

const windowSeconds = z
  .number()
  .int()
  .min(MIN_WINDOW_SECONDS)
  .max(MAX_WINDOW_SECONDS)
  .meta({ description: "Seconds, from 1 second to 90 days." });

export const WindowsInput = z
  .strictObject({
    deliverySeconds: windowSeconds.optional(),
    confirmationSeconds: windowSeconds.optional(),
    sellerResponseSeconds: windowSeconds.optional(),
    disputeSeconds: windowSeconds.optional(),
  })
  .meta({
    id: "WindowsInput",
    description:
      "How long each wait lasts. A window left out takes its default per kind — goods: delivery 7 days, confirmation 10 days, seller response 5 days, dispute 30 days; service: delivery 14 days, confirmation 7 days, seller response 5 days, dispute 30 days.",
  });

const Metadata = z
  .record(z.string().min(1).max(40), z.string().max(500))
  .refine((m) => Object.keys(m).length <= 20, "at most 20 keys")
  .meta({ description: "Up to 20 string keys (1-40 characters) with string values (up to 500 characters)." });

export const createEscrowBody = (currencies: readonly string[] = DEFAULT_CURRENCIES) =>
  z
    .strictObject({
      buyerId: PartyId,
      sellerId: PartyId,
      amount: MinorUnits,
      currency: z
        .enum(currencies as [string, ...string[]], {
          error: `must be one of ${currencies.join(", ")} (ISO 4217, upper case)`,
        })
        .meta({
          description: "ISO 4217 code in upper case, one of the configured currencies.",
          example: "CNY",
        }),
      fee: z
        .number()
        .int("must be an integer number of minor units")
        .min(0)
        .max(Number.MAX_SAFE_INTEGER)
        .optional()
        .meta({
          description:
            "Platform commission in minor units, 0 ≤ fee ≤ amount, taken from the seller's side only on what is released to the seller (pro rata on a split, rounded down). Default 0.",
          example: 390,
        }),
      paymentMethod: text(255).meta({
        description:
          "The buyer's payment authorisation. Sandbox provider: `pm_sandbox_decline` is declined, `pm_sandbox_unavailable` is an outage (retried, then cancelled), any other `pm_sandbox_…` succeeds; other values are rejected while the sandbox is configured.",
        example: "pm_sandbox_ok",
      }),
      kind: z.enum(KINDS).optional().meta({ description: "Default `goods`." }),
      description: text(1000).nullish(),
      listingRef: text(255).nullish(),
      metadata: Metadata.optional(),
      windows: WindowsInput.optional(),
    })
    .superRefine((body, ctx) => {
      if (body.buyerId === body.sellerId)
        ctx.addIssue({ code: "custom", path: ["sellerId"], message: "must differ from buyerId" });
      if (body.fee !== undefined && body.fee > body.amount)
        ctx.addIssue({ code: "custom", path: ["fee"], message: "must not exceed amount" });
    })
    .meta({ id: "CreateEscrowRequest" });

export const CreateEscrowBody = createEscrowBody();
export type CreateEscrowInput = z.infer<typeof CreateEscrowBody>;

const actorId = PartyId.meta({
  description: "The user the marketplace acts for: the buyer or seller of the escrow.",
});
const note = text(1000).nullish();

export const DeliveryBody = z
  .strictObject({ actorId, carrier: text(100).nullish(), trackingNumber: text(100).nullish(), note })
  .meta({ id: "DeliveryRequest" });
export const ConfirmationBody = z.strictObject({ actorId }).meta({ id: "ConfirmationRequest" });
export const ExtensionBody = z
  .strictObject({
    actorId,
    seconds: z.number().int().min(1).max(MAX_EXTENSION_SECONDS).meta({
      description:
        "Added to the current deadline: 1 second to 30 days; all extensions together at most 30 days.",
    }),
  })
  .meta({ id: "ExtensionRequest" });
export const RefundRequestBody = z
  .strictObject({
    actorId,
    amount: MinorUnits.optional().meta({
      description: "From 1 to the escrow's amount; defaults to all of it.",
    }),
    reason: text(1000),
  })
  .meta({ id: "RefundRequestRequest" });
export const RefundResponseBody = z
  .strictObject({ actorId, accept: z.boolean(), note })
  .meta({ id: "RefundResponseRequest" });
export const DisputeBody = z.strictObject({ actorId, reason: text(1000) }).meta({ id: "DisputeRequest" });
export const CancellationBody = z
  .strictObject({ actorId, reason: text(1000).nullish() })
  .meta({ id: "CancellationRequest" });
export const ResolutionBody = z
  .strictObject({
    outcome: z.enum(["release", "refund", "split"]),
    refundAmount: MinorUnits.optional().meta({
      description:
        "Required for `split` (1 to amount − 1); for `refund` it may only be the whole amount; not allowed for `release`.",
    }),
    note: text(1000),
  })
  .meta({ id: "ResolutionRequest" });

export const ListQuery = z
  .strictObject({
    buyerId: PartyId.optional(),
    sellerId: PartyId.optional(),
    status: z.enum(STATUSES).optional(),
    limit: z.coerce.number().int().min(1).max(100).optional().meta({ description: "1-100, default 20." }),
    cursor: z
      .string()
      .min(1)
      .max(2048)
      .optional()
      .meta({ description: "`nextCursor` of the previous page." }),
  })
  .meta({ id: "ListEscrowsQuery" });
export type ListQueryInput = z.infer<typeof ListQuery>;

export const OpsListQuery = ListQuery.omit({ buyerId: true, sellerId: true }).meta({
  id: "OpsListEscrowsQuery",
});

// ---------------------------------------------------------------- responses (documentation only)

const Iso = z.string().meta({ description: "ISO 8601 UTC timestamp.", example: "2026-12-05T10:00:00.000Z" });

export const WindowsSchema = z
  .object({
    deliverySeconds: z.number().int(),
    confirmationSeconds: z.number().int(),
    sellerResponseSeconds: z.number().int(),
    disputeSeconds: z.number().int(),
  })
  .meta({ id: "Windows" });

export const EscrowSchema = z
  .object({
    id: z.string().meta({ example: "esc_01JD6Z2Q8M3V4N5P6R7S8T9V0W" }),
    kind: z.enum(KINDS),
    status: z.enum(STATUSES),
    buyerId: z.string(),
    sellerId: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    fee: z.number().int(),
    description: z.string().nullable(),
    listingRef: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    windows: WindowsSchema,
    deadline: Iso.nullable().meta({
      description:
        "When the current wait ends by itself; null in terminal statuses and while an accepted action is pending.",
    }),
    pendingAction: z
      .enum([
        "confirmation",
        "cancellation",
        "refund-response",
        "resolution",
        "auto-release",
        "auto-refund",
        "auto-refund-acceptance",
      ])
      .nullable()
      .meta({
        description:
          "The accepted (202) action the workflow has not applied yet; `auto-…` when a window elapsed.",
      }),
    delivery: z
      .object({
        carrier: z.string().nullable(),
        trackingNumber: z.string().nullable(),
        note: z.string().nullable(),
        deliveredAt: Iso,
      })
      .nullable(),
    refundRequest: z.object({ amount: z.number().int(), reason: z.string(), requestedAt: Iso }).nullable(),
    dispute: z
      .object({ openedBy: z.enum(["buyer", "seller"]), reason: z.string(), openedAt: Iso })
      .nullable(),
    settlement: z
      .object({
        paidToSeller: z.number().int(),
        refundedToBuyer: z.number().int(),
        platformFee: z.number().int(),
        settledAt: Iso,
      })
      .nullable()
      .meta({
        description:
          "Set in RELEASED, REFUNDED and SETTLED; paidToSeller + refundedToBuyer + platformFee == amount.",
      }),
    failureReason: z.string().nullable().meta({
      description:
        "Why a CANCELLED escrow never held money: `payment_declined`, `payment_unavailable`, `cancelled_by_ops`.",
    }),
    needsOpsAttention: z.boolean().meta({
      description: "A workflow step failed for good; ops were alerted and may settle it with a resolution.",
    }),
    createdAt: Iso,
    updatedAt: Iso,
    version: z.number().int().meta({ description: "Grows by one with every write to the escrow." }),
  })
  .meta({ id: "Escrow" });

export const EscrowListSchema = z
  .object({ items: z.array(EscrowSchema), nextCursor: z.string().nullable() })
  .meta({ id: "EscrowList" });

export const EscrowEventsSchema = z
  .object({
    items: z.array(
      z.object({
        at: Iso,
        type: z.string().meta({ example: "delivered" }),
        actor: z.enum(["buyer", "seller", "marketplace", "ops", "system"]),
        data: z.record(z.string(), z.unknown()),
        version: z.number().int(),
      }),
    ),
  })
  .meta({ id: "EscrowEventList" });

export const ProblemSchema = z
  .object({
    type: z.string().meta({ example: "https://escrow.example/problems/validation_error" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum([
      "validation_error",
      "unauthorized",
      "forbidden",
      "not_found",
      "invalid_transition",
      "idempotency_in_progress",
      "idempotency_key_reused",
      "rate_limited",
      "internal_error",
    ]),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: "Problem" });
