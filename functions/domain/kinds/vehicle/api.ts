import * as z from "zod/mini";
import { type ActionDoc, actionRoute } from "../../../api/route-kit";
import { actorId, doc, optionalText, schema, text } from "../../../api/schema-kit";

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
