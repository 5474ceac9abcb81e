import * as z from "zod/mini";
import { EVENT_TYPES, type EventType } from "../functions/domain/events";
import { OPS_ALERT_TYPES } from "../functions/domain/ops-alert-types";
import { exampleOf } from "./event-examples";
import {
  EscrowEventSchema,
  EvidenceItemSchema,
  EvidenceRequestSchema,
  OpsAlertSchema,
  ReminderSchema,
} from "./openapi-schemas";

/**
 * `GET /v1/events/schemas` (API.md v1.2, "For integrators"): one JSON Schema
 * (2020-12) per event type, escrow events and ops alerts, generated from the
 * zod schemas the OpenAPI document is generated from. Each schema stands
 * alone (every shared shape is in its own `$defs`), names itself with `$id`,
 * fixes `type` to its own, and carries an example.
 */

export const JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema";
/** A schema's `$id`: a URN, so it names the type wherever the document is served from. */
export const eventSchemaId = (type: string) => `urn:escrow:event-schema:${type}`;

/** The fields a type carries beside the escrow, required on that type. */
const OWN_FIELDS: Partial<Record<EventType, Record<string, z.ZodMiniType>>> = {
  "escrow.evidence_added": { evidence: EvidenceItemSchema },
  "escrow.evidence_requested": { evidenceRequest: EvidenceRequestSchema },
  "escrow.deadline_approaching": { reminder: ReminderSchema },
};

export interface EventSchemaItem {
  type: string;
  schema: Record<string, unknown>;
}

/** OpenAPI's `example` (one value) is not a 2020-12 keyword: each becomes `examples: [value]`. */
function toExamples(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toExamples);
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "example") out.examples = [value];
    else out[key] = toExamples(value);
  }
  return out;
}

function jsonSchemaOf(type: string, schema: z.ZodMiniType, description: string): Record<string, unknown> {
  const generated = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    metadata: z.globalRegistry,
    io: "output",
    unrepresentable: "any",
  }) as Record<string, unknown>;
  const { $schema: _dialect, ...rest } = toExamples(generated) as Record<string, unknown>;
  const example = exampleOf(type);
  if (!example) throw new Error(`no example of ${type}`);
  return {
    $schema: JSON_SCHEMA_DIALECT,
    $id: eventSchemaId(type),
    title: type,
    description,
    ...rest,
    examples: [example],
  };
}

/** Every event type's schema, escrow events first, in API.md's order, then the ops alerts. */
export function buildEventSchemas(): { items: EventSchemaItem[] } {
  const events = EVENT_TYPES.map((type) => ({
    type,
    schema: jsonSchemaOf(
      type,
      z.extend(EscrowEventSchema, { type: z.literal(type), ...OWN_FIELDS[type] }),
      `The body of an ${type} message on the escrow events topic (message attributes \`type\` and \`tenantId\`).`,
    ),
  }));
  const alerts = OPS_ALERT_TYPES.map((type) => ({
    type,
    schema: jsonSchemaOf(
      type,
      z.extend(OpsAlertSchema, { type: z.literal(type) }),
      `The body of an ${type} message on the ops-alerts topic (message attributes \`type\` and \`tenantId\`).`,
    ),
  }));
  return { items: [...events, ...alerts] };
}
