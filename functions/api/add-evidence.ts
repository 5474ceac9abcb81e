import { addEvidence } from "../app/evidence";
import { announcements } from "../shared/announcements";
import { desk } from "../shared/ops-desk";
import { now, store, tenants } from "../shared/store";
import { apiHandler, written } from "./http";
import { AddEvidence } from "./routes";

const deps = { store, events: announcements, now, desk };

/** POST /v1/escrows/{id}/evidence — a party's evidence while ops may have to decide; 201 the item. */
export const handler = apiHandler(
  AddEvidence,
  { tenants },
  async ({ caller, escrowId, body, idempotency }) => {
    const answer = await addEvidence(deps, { tenantId: caller.tenantId, escrowId }, body, idempotency);
    return written(answer.statusCode, answer.evidence, answer.replayed);
  },
);
