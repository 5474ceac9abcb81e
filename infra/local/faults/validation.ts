import { z } from "zod";
import { fieldErrors, messageOf } from "../../../functions/api/validation-messages";
import type { FieldError } from "../local-http";
import {
  AMBIGUOUS_TARGETS,
  FAULT_MODES,
  FAULT_TARGETS,
  type FaultSpec,
  REFUSABLE_OPERATIONS,
} from "./service";

/** The body of `POST /_local/faults`, checked strictly (an unknown field is an error, as in the API). */
const faultBody = z
  .strictObject({
    target: z.enum(FAULT_TARGETS),
    operation: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z][A-Za-z0-9_.:-]*$/, "must be an operation name such as UpdateItem or payout")
      .optional(),
    mode: z.enum(FAULT_MODES),
    probability: z.number().min(0).max(1).optional(),
    seconds: z.number().int().min(1).max(3600),
  })
  .superRefine((body, ctx) => {
    if (body.mode === "ambiguous" && !AMBIGUOUS_TARGETS.includes(body.target))
      ctx.addIssue({
        code: "custom",
        path: ["mode"],
        message: `ambiguous applies to ${AMBIGUOUS_TARGETS.join(" and ")} only, not to ${body.target}`,
      });
    if (body.mode === "refused" && body.target !== "payments")
      ctx.addIssue({ code: "custom", path: ["mode"], message: "refused applies to payments only" });
    if (
      body.mode === "refused" &&
      body.target === "payments" &&
      !(REFUSABLE_OPERATIONS as readonly string[]).includes(body.operation ?? "")
    )
      ctx.addIssue({
        code: "custom",
        path: ["operation"],
        message: `refused names the movement refused: one of ${REFUSABLE_OPERATIONS.join(", ")}`,
      });
  });

export type FaultBodyResult = { ok: true; spec: FaultSpec } | { ok: false; errors: FieldError[] };

export function parseFaultBody(body: unknown): FaultBodyResult {
  // Worded as the API words its own refusals (one error per field, each unknown field by its path).
  const parsed = faultBody.safeParse(body, { error: messageOf });
  if (parsed.success) return { ok: true, spec: parsed.data };
  return { ok: false, errors: fieldErrors(parsed.error) };
}
