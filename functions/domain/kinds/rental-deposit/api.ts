import * as z from "zod/mini";
import { type ActionDoc, actionRoute, type KindFields } from "../../../api/route-kit";
import {
  AttachmentsInput,
  actorId,
  amount,
  doc,
  instant,
  minorUnits,
  note,
  schema,
  text,
  timestamp,
  windowSeconds,
} from "../../../api/schema-kit";
import type { RENTAL_DEPOSIT_NAMES } from "./names";
import { CLAIM_CATEGORIES, type RentalDepositInput } from "./types";

/**
 * The rental deposit's own routes (API.md v1.1): each action's body, its
 * route and what the OpenAPI document says of it. The route table lists them
 * through functions/domain/kinds/api.ts; one Lambda entry serves every kind's
 * own action (functions/api/kind-action.ts).
 */

export const MoveOutBody = schema(() => z.strictObject({ actorId: actorId(), note: note() }));
export const LeaseRenewalBody = schema(() =>
  z.strictObject({
    actorId: actorId(),
    endsAt: instant(
      "The lease's new end: later than the current end, at most 5 years from now.",
      "2029-11-30T00:00:00Z",
    ),
  }),
);
export const DeductionClaimBody = schema(() =>
  z.strictObject({
    actorId: actorId(),
    items: doc(
      z
        .array(
          z.strictObject({
            category: z.enum(CLAIM_CATEGORIES),
            amount: minorUnits("What this item claims, in minor units."),
            description: text(500),
            evidence: z.optional(AttachmentsInput),
          }),
        )
        .check(z.minLength(1), z.maxLength(20)),
      { description: "1-20 items; their total is at most the deposit." },
    ),
  }),
);
export const DepositReturnBody = schema(() => z.strictObject({ actorId: actorId(), note: note() }));
export const ClaimResponseBody = schema(() =>
  z
    .strictObject({
      actorId: actorId(),
      accept: z.boolean(),
      acceptedAmount: z.optional(
        doc(z.int().check(z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER)), {
          description:
            "Only with accept: false — the part of the claim the renter accepts (default 0, less than the claim's total); it goes to the landlord at once with the unclaimed part back to the renter.",
        }),
      ),
      note: note(),
    })
    .check(
      z.superRefine((body, ctx) => {
        if (body.accept && body.acceptedAmount !== undefined)
          ctx.addIssue({
            code: "custom",
            path: ["acceptedAmount"],
            message: "is only for a rejection (accept: false)",
            input: body.acceptedAmount,
          });
      }),
    ),
);

export const MoveOut = /* @__PURE__ */ actionRoute("MoveOut", "move-out", MoveOutBody);
export const RenewLease = /* @__PURE__ */ actionRoute("RenewLease", "lease-renewal", LeaseRenewalBody);
export const ClaimDeductions = /* @__PURE__ */ actionRoute(
  "ClaimDeductions",
  "deduction-claim",
  DeductionClaimBody,
);
export const ReturnDeposit = /* @__PURE__ */ actionRoute(
  "ReturnDeposit",
  "deposit-return",
  DepositReturnBody,
);
export const RespondToClaim = /* @__PURE__ */ actionRoute(
  "RespondToClaim",
  "claim-response",
  ClaimResponseBody,
);

/** In the order API.md lists them. */
export const RENTAL_DEPOSIT_ROUTES = [
  MoveOut,
  RenewLease,
  ClaimDeductions,
  ReturnDeposit,
  RespondToClaim,
] as const;

export const RENTAL_DEPOSIT_ROUTE_DOCS: Record<(typeof RENTAL_DEPOSIT_ROUTES)[number]["id"], ActionDoc> = {
  MoveOut: {
    summary: "Rental: the renter moved out",
    description:
      "rental_deposit, by the renter (buyer) or the landlord (seller): FUNDED → MOVED_OUT (`lease.movedOutAt`); the claim window starts. The lease's end does the same by itself. On another kind it is 409.",
  },
  RenewLease: {
    summary: "Rental: the renter renews the lease",
    description:
      "rental_deposit, by the renter: FUNDED stays FUNDED with `lease.endsAt` and the deadline moved to `endsAt` (later than the current end, at most 5 years from now, else 400).",
  },
  ClaimDeductions: {
    summary: "Rental: the landlord claims deductions",
    description:
      "rental_deposit, by the landlord: MOVED_OUT → CLAIMED with `claim: { items, total, claimedAt, acceptedAmount }`; the renter's response window starts. Items total more than the deposit is 400.",
  },
  ReturnDeposit: {
    summary: "Rental: the landlord returns the deposit",
    description:
      "rental_deposit, by the landlord: MOVED_OUT, then REFUNDED — the whole deposit back to the renter, no fee.",
  },
  RespondToClaim: {
    summary: "Rental: the renter answers the claim",
    description:
      "rental_deposit, by the renter, in CLAIMED. Accept: the landlord gets the claim (less the pro-rata fee), the renter the rest — RELEASED when the claim is the whole deposit, else SETTLED. Reject: DISPUTED; at once the unclaimed part goes back to the renter and `acceptedAmount` (default 0, less than the claim's total, else 400; only with accept: false) to the landlord (one disbursement `undisputed_part`, event `escrow.partially_settled`), and only the contested part (`dispute.contestedAmount`) stays held for ops, whose resolution decides it.",
  },
};

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

/** What the rental deposit adds to the create body, its windows and the escrow resource. */
export const RENTAL_DEPOSIT_FIELDS: KindFields<
  RentalDepositInput,
  Record<never, never>,
  (typeof RENTAL_DEPOSIT_NAMES.windows)[number]
> = {
  create: () => ({ lease: z.optional(LeaseInput) }),
  delivery: () => ({}),
  windows: () => ({
    claimSeconds: z.optional(windowSeconds()),
    claimResponseSeconds: z.optional(windowSeconds()),
  }),
  view: () => ({
    lease: doc(
      z.optional(
        z.looseObject({ startsAt: timestamp(), endsAt: timestamp(), movedOutAt: z.nullable(timestamp()) }),
      ),
      {
        description:
          "rental_deposit only: the lease as it stands (renewals move endsAt); movedOutAt once moved out or ended.",
      },
    ),
    claim: doc(
      z.optional(
        z.nullable(
          z.looseObject({
            items: z.array(
              z.looseObject({
                category: z.enum(CLAIM_CATEGORIES),
                amount: amount(),
                description: z.string(),
              }),
            ),
            total: amount(),
            claimedAt: timestamp(),
            acceptedAmount: z.nullable(amount()),
          }),
        ),
      ),
      { description: "rental_deposit only: the landlord's deduction claim, once made." },
    ),
  }),
};
