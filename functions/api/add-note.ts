import { addNote } from "../app/ops-desk";
import { desk } from "../shared/ops-desk";
import { now, store, tenants } from "../shared/store";
import { apiHandler, written } from "./http";
import { AddNote } from "./routes";

const deps = { store, desk, now };

/** POST /v1/ops/escrows/{id}/notes — a note for the next shift; only ops ever read it. */
export const handler = apiHandler(AddNote, { tenants }, async ({ caller, escrowId, body, idempotency }) => {
  const ref = { tenantId: caller.tenantId, escrowId };
  const answer = await addNote(deps, ref, caller.opsUser, body.text, idempotency);
  return written(answer.statusCode, answer.note, answer.replayed);
});
