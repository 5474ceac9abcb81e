import { getEscrow } from "../app/escrow-service";
import { noPayments, noWorkflow, now, store, tenants } from "../shared/store";
import { apiHandler, json } from "./http";

const deps = { store, workflow: noWorkflow, payments: noPayments, now };

/** GET /v1/escrows/{id} */
export const handler = apiHandler(
  { scopes: ["escrow/marketplace", "escrow/ops"], tenants, escrowPath: true },
  async ({ caller, escrowId }) => json(200, await getEscrow(deps, caller.tenantId, escrowId)),
);
