import { type JsonSchema, JsonSchemaVersion } from "aws-cdk-lib/aws-apigateway";
import type { ZodMiniType as ZodType } from "zod/mini";
import * as z from "zod/mini";
import {
  CancellationBody,
  ConfirmationBody,
  CreateEscrowBody,
  DeliveryBody,
  DisputeBody,
  ExtensionBody,
  RefundRequestBody,
  RefundResponseBody,
  ResolutionBody,
} from "../../functions/domain/schemas";

/**
 * The body schema of each POST route, by function id. API Gateway rejects a
 * body of the wrong shape before a Lambda runs; the handler still validates
 * everything (refinements such as buyer ≠ seller or the currency list are not
 * expressible here).
 */
export const REQUEST_BODIES: Readonly<Record<string, ZodType>> = {
  CreateEscrow: CreateEscrowBody,
  RecordDelivery: DeliveryBody,
  ConfirmReceipt: ConfirmationBody,
  ExtendConfirmation: ExtensionBody,
  RequestRefund: RefundRequestBody,
  RespondToRefund: RefundResponseBody,
  OpenDispute: DisputeBody,
  CancelEscrow: CancellationBody,
  ResolveEscrow: ResolutionBody,
};

/**
 * A regex API Gateway's draft-4 validator evaluates like zod does: it must
 * compile as a plain ECMAScript regex and use nothing newer than ES5
 * (lookbehind, named groups, `\p{…}` escapes). Others are dropped from the
 * gateway model; the handler still applies them.
 */
export function portablePattern(pattern: string): boolean {
  if (/\(\?<[=!]?|\\[pPk]\{|\\k</.test(pattern)) return false;
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

function prune(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(prune);
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "$schema") continue;
    if (key === "pattern" && typeof value === "string" && !portablePattern(value)) continue;
    out[key] = prune(value);
  }
  return out;
}

/** JSON Schema draft 4 for an API Gateway model, from a zod schema (no descriptions, no $refs). */
export function gatewaySchema(schema: ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: "draft-4",
    unrepresentable: "any",
    // An empty registry: no `id`/description metadata, so every schema is inlined (no `definitions`/$ref).
    metadata: z.registry<Record<string, unknown>>(),
  });
  return { schema: JsonSchemaVersion.DRAFT4, ...(prune(json) as object) } as JsonSchema;
}
