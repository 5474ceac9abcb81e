import { listEvidence } from "../app/evidence";
import { store, tenants } from "../shared/store";
import { apiHandler, json } from "./http";
import { ListEvidence } from "./routes";

/** GET /v1/escrows/{id}/evidence — both parties' evidence, oldest first. */
export const handler = apiHandler(ListEvidence, { tenants }, async ({ caller, escrowId }) =>
  json(200, await listEvidence({ store }, { tenantId: caller.tenantId, escrowId })),
);
