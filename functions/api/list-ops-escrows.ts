import { listEscrows } from "../app/escrow-service";
import { DEFAULT_PAGE_SIZE, OpsListQuery } from "../domain/schemas";
import { noPayments, noWorkflow, now, store, tenants } from "../shared/store";
import { apiHandler, json } from "./http";

const deps = { store, workflow: noWorkflow, payments: noPayments, now };

/** GET /v1/ops/escrows?status= — the ops view of the tenant's escrows; DISPUTED ones by default. */
export const handler = apiHandler(
  { scopes: ["escrow/ops"], tenants, query: OpsListQuery },
  async ({ caller, query }) =>
    json(
      200,
      await listEscrows(deps, caller.tenantId, {
        ...query,
        status: query.status ?? "DISPUTED",
        limit: query.limit ?? DEFAULT_PAGE_SIZE,
      }),
    ),
);
