import { listEscrows } from "../app/escrow-service";
import { DEFAULT_PAGE_SIZE, ListQuery } from "../domain/schemas";
import { noPayments, noWorkflow, now, store, tenants } from "../shared/store";
import { apiHandler, json } from "./http";

const deps = { store, workflow: noWorkflow, payments: noPayments, now };

/** GET /v1/escrows?buyerId=&sellerId=&status=&limit=&cursor= — newest first. */
export const handler = apiHandler(
  { scopes: ["escrow/marketplace", "escrow/ops"], tenants, query: ListQuery },
  async ({ caller, query }) =>
    json(
      200,
      await listEscrows(deps, caller.tenantId, { ...query, limit: query.limit ?? DEFAULT_PAGE_SIZE }),
    ),
);
