import { listEscrows } from "../app/escrow-service";
import { now, store, tenants } from "../shared/store";
import { apiHandler, json } from "./http";
import { ListOpsEscrows } from "./routes";
import { DEFAULT_PAGE_SIZE } from "./schemas";

const deps = { store, now };

/** GET /v1/ops/escrows?status= — the ops view of the tenant's escrows; DISPUTED ones by default. */
export const handler = apiHandler(ListOpsEscrows, { tenants }, async ({ caller, query }) =>
  json(
    200,
    await listEscrows(deps, caller.tenantId, {
      ...query,
      status: query.status ?? "DISPUTED",
      limit: query.limit ?? DEFAULT_PAGE_SIZE,
    }),
  ),
);
