import type * as z from "zod/mini";
import type { Example } from "./openapi-examples";
import { EscrowSchema } from "./openapi-schemas";

/** What the route table does not say: prose, the success answer's shape, the error statuses, examples. */
export interface RouteDoc {
  summary: string;
  description: string;
  ok: { schema: z.ZodMiniType; description: string };
  errors: number[];
  examples?: { request?: Record<string, Example>; response?: Record<string, Example> };
}

export const ACTION_ERRORS = [400, 401, 403, 404, 409, 422, 429, 500, 503];
export const READ_ERRORS = [401, 403, 404, 429, 500, 503];
/** A list's: a bad filter or cursor is 400; there is no one resource to miss (404). */
export const LIST_ERRORS = [400, 401, 403, 429, 500, 503];
export const accepted = {
  schema: EscrowSchema,
  description:
    "Accepted: the escrow as recorded once the action was accepted. The money moves in the workflow; the terminal status follows within seconds (poll GET or listen for the event).",
};

export const ACTION_NOTES =
  "Answers 403 `forbidden` when `actorId` is not the party allowed to act (checked before the status), 409 `invalid_transition` when the action is not allowed in the current status, while an accepted action is pending, or once the current window's deadline has passed (the automatic outcome then applies). Of several actions racing from one status exactly one is applied. An `Idempotency-Key` is optional; with one, a retry replays the first answer (with the header `Idempotent-Replayed: true`).";
