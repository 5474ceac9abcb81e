import * as z from "zod/mini";
import type { CreateEscrowInput } from "../domain/create-input";
import { KIND_FIELDS } from "../domain/kinds/api";
import { KIND_MODULES, KINDS } from "../domain/kinds/registry";
import { DEFAULT_CURRENCIES } from "../domain/money";
import { DAY, MAX_REMINDER_SECONDS } from "../domain/windows";
import {
  doc,
  minorUnits,
  minorUnitsType,
  optionalText,
  partyId,
  schema,
  text,
  wellFormed,
  windowSeconds,
} from "./schema-kit";

/**
 * The create body (POST /v1/escrows): the common fields, and every kind's own
 * (functions/domain/kinds/api.ts; each kind's module checks its own and
 * refuses another kind's). Apart from the other request shapes (schemas.ts):
 * the kinds' API declarations use those.
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
      ...KIND_FIELDS.windows(),
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
  ...KIND_FIELDS.create(),
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
