import { type JsonSchema, JsonSchemaVersion } from "aws-cdk-lib/aws-apigateway";
import type { ZodMiniType as ZodType } from "zod/mini";
import * as z from "zod/mini";

/**
 * API Gateway's request models, generated from the body schema each route of
 * functions/api/routes.ts names (the construct builds one per POST route).
 * API Gateway rejects a body of the wrong shape before a Lambda runs; the
 * handler still validates everything (refinements such as buyer ≠ seller, or
 * integers written as floats, are not expressible here).
 */

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

/**
 * JSON Schema draft 4 for an API Gateway model, from a zod schema (no
 * descriptions, no $refs): what the request may look like (zod's input side,
 * before transforms such as an action body becoming its command).
 */
export function gatewaySchema(schema: ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: "draft-4",
    io: "input",
    unrepresentable: "any",
    // An empty registry: no `id`/description metadata, so every schema is inlined (no `definitions`/$ref).
    metadata: z.registry<Record<string, unknown>>(),
  });
  return { schema: JsonSchemaVersion.DRAFT4, ...(prune(json) as object) } as JsonSchema;
}
