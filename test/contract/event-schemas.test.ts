import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { EVENT_TYPES } from "../../functions/domain/events";
import { OPS_ALERT_TYPES } from "../../functions/domain/ops-alert-types";
import { buildEventSchemas, JSON_SCHEMA_DIALECT } from "../../infra/event-schemas";

/**
 * `GET /v1/events/schemas` (API.md v1.2, "For integrators"): a JSON Schema
 * (2020-12) for every event type API.md names, escrow events and ops alerts,
 * each standing alone with its own `$id`, requiring the envelope, and with an
 * example that it accepts.
 */
const apiMd = readFileSync(join(new URL(".", import.meta.url).pathname, "API.md"), "utf8");
const { items } = buildEventSchemas();
const byType = new Map(items.map((i) => [i.type, i.schema]));

/** Every `$ref` in a schema, wherever it is. */
function refsOf(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(refsOf);
  if (node === null || typeof node !== "object") return [];
  return Object.entries(node).flatMap(([k, v]) => (k === "$ref" && typeof v === "string" ? [v] : refsOf(v)));
}

describe("event schemas", () => {
  it("has exactly one schema for every event type API.md names: escrow events, then ops alerts", () => {
    const named = [...new Set([...apiMd.matchAll(/`(escrow\.[a-z_]+)`/g)].map((m) => m[1] as string))];
    expect(items.map((i) => i.type)).toEqual([...EVENT_TYPES, ...OPS_ALERT_TYPES]);
    expect([...byType.keys()].sort()).toEqual(named.sort());
  });

  it.each(items.map((i) => [i.type, i.schema] as const))(
    "%s: 2020-12, its own $id, self-contained, the envelope required, type fixed",
    (type, schema) => {
      expect(schema.$schema).toBe(JSON_SCHEMA_DIALECT);
      expect(schema.$id).toBe(`urn:escrow:event-schema:${type}`);
      for (const ref of refsOf(schema)) expect(ref, type).toMatch(/^#\/\$defs\/\w+$/);
      expect(schema.required).toEqual(
        expect.arrayContaining(["id", "type", "occurredAt", "tenantId", "escrowId"]),
      );
      expect((schema.properties as Record<string, { const?: string }>).type?.const).toBe(type);
      expect(JSON.stringify(schema)).not.toContain('"example"');
    },
  );

  it("gives every schema its own $id", () => {
    expect(new Set(items.map((i) => i.schema.$id)).size).toBe(items.length);
  });

  // One validator for all of them, strict: an unknown keyword or a bad reference fails the compile.
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  for (const { schema } of items) ajv.addSchema(schema);

  it.each(items.map((i) => [i.type, i.schema] as const))(
    "%s: its example is valid, and the same body fails as another type or without its envelope",
    (type, schema) => {
      const validate = ajv.getSchema(String(schema.$id));
      if (!validate) throw new Error(`no validator for ${type}`);
      const [example] = schema.examples as Record<string, unknown>[];
      expect(example?.type).toBe(type);
      expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
      const other = type === "escrow.funded" ? "escrow.released" : "escrow.funded";
      expect(validate({ ...example, type: other })).toBe(false);
      const { escrowId: _, ...withoutEscrowId } = example as Record<string, unknown>;
      expect(validate(withoutEscrowId)).toBe(false);
      expect(validate({ ...example, occurredAt: 20261201 })).toBe(false);
    },
  );

  it("requires the field a type carries beside the escrow", () => {
    const evidence = ajv.getSchema("urn:escrow:event-schema:escrow.evidence_added");
    if (!evidence) throw new Error("no validator for escrow.evidence_added");
    const [example = {}] = (byType.get("escrow.evidence_added")?.examples ?? []) as Record<string, unknown>[];
    const { evidence: _, ...without } = example;
    expect(evidence(example)).toBe(true);
    expect(evidence(without)).toBe(false);
  });
});
