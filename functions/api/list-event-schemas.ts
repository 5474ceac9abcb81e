import { buildEventSchemas } from "../../infra/event-schemas";
import { documentHandler } from "./document-handler";
import { ListEventSchemas } from "./routes";

// Generated from the same zod schemas as the OpenAPI document (infra/event-schemas.ts); built once per container.
let schemas: ReturnType<typeof buildEventSchemas> | undefined;

/** GET /v1/events/schemas */
export const handler = documentHandler(ListEventSchemas, () => {
  schemas ??= buildEventSchemas();
  return schemas;
});
