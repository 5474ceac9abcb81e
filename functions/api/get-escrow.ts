import { getEscrow } from "../app/escrow-service";
import { now, store, tenants } from "../shared/store";
import { apiHandler, json } from "./http";
import { GetEscrow } from "./routes";

const deps = { store, now };

/** GET /v1/escrows/{id} */
export const handler = apiHandler(GetEscrow, { tenants }, async ({ caller, escrowId }) =>
  json(200, await getEscrow(deps, caller.tenantId, escrowId)),
);
