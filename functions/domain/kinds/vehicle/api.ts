import * as z from "zod/mini";
import { type ActionDoc, actionRoute, type KindFields } from "../../../api/route-kit";
import {
  actorId,
  amount,
  doc,
  minorUnits,
  optionalText,
  schema,
  text,
  timestamp,
  windowSeconds,
} from "../../../api/schema-kit";
import type { VEHICLE_NAMES } from "./names";
import type { VehicleDelivery, VehicleInput } from "./types";

/** The car's own route (API.md v1.1, POST …/inspection): its body, its route, its OpenAPI text. */

export const InspectionBody = schema(() =>
  z
    .strictObject({
      actorId: actorId(),
      accept: z.boolean(),
      reason: optionalText(1000),
      paymentMethod: z.optional(
        doc(text(255), {
          description: "For the balance; default the escrow's paymentMethod.",
          example: "pm_sandbox_ok",
        }),
      ),
    })
    .check(
      z.superRefine((body, ctx) => {
        if (!body.accept && body.reason === undefined)
          ctx.addIssue({
            code: "custom",
            path: ["reason"],
            message: "is required when rejecting",
            input: body.reason,
          });
      }),
    ),
);

export const InspectVehicle = /* @__PURE__ */ actionRoute("InspectVehicle", "inspection", InspectionBody);

export const VEHICLE_ROUTES = [InspectVehicle] as const;

export const VEHICLE_ROUTE_DOCS: Record<(typeof VEHICLE_ROUTES)[number]["id"], ActionDoc> = {
  InspectVehicle: {
    summary: "Car: the buyer inspects the car",
    description:
      'vehicle, by the buyer, in RESERVED (the reservation deposit is held). Accept: the balance (amount − deposit) is held with `paymentMethod` (default the escrow\'s), then FUNDED and escrow.funded; if the balance is declined the deposit goes back (REFUNDED, `failureReason: "balance_declined"`). Reject (`reason` required): the deposit goes back, REFUNDED. The 202 shows `pendingAction: "inspection"`; event escrow.inspected. The inspection window passing counts as the buyer\'s withdrawal (the deposit is forfeited to the seller when `depositForfeitable`).',
  },
};

export const VehicleInputSchema = schema(() =>
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
);

/** What the car adds to the create body, its windows and the escrow resource (API.md v1.1). */
export const VEHICLE_FIELDS: KindFields<
  VehicleInput,
  VehicleDelivery,
  (typeof VEHICLE_NAMES.windows)[number]
> = {
  create: () => ({
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
    vehicle: z.optional(VehicleInputSchema),
  }),
  delivery: () => ({
    titleTransferRef: z.optional(
      doc(text(64), {
        description: "vehicle (required there): the number of the registration-transfer document.",
        example: "BJ-2026-118833",
      }),
    ),
  }),
  windows: () => ({ inspectionSeconds: z.optional(windowSeconds()) }),
  view: () => ({
    vehicle: doc(z.optional(z.looseObject({ vin: z.string(), description: z.nullable(z.string()) })), {
      description: "vehicle only: the car, as given at creation.",
    }),
    deposit: doc(z.optional(amount()), {
      description:
        "vehicle only: the reservation deposit, held first; the balance is held after an accepted inspection.",
    }),
    depositForfeitable: doc(z.optional(z.boolean()), {
      description:
        "vehicle only: whether a buyer's withdrawal (or a lapsed inspection window) forfeits the deposit.",
    }),
    inspection: doc(
      z.optional(
        z.nullable(z.looseObject({ accepted: z.boolean(), reason: z.nullable(z.string()), at: timestamp() })),
      ),
      { description: "vehicle only: the buyer's inspection, once made." },
    ),
  }),
};
