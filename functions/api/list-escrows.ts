import { listEscrows } from "../app/escrow-service";
import { now, store, tenants } from "../shared/store";
import { apiHandler, json } from "./http";
import { ListEscrows } from "./routes";
import { DEFAULT_PAGE_SIZE } from "./schemas";

const deps = { store, now };

/** GET /v1/escrows?buyerId=&sellerId=&status=&limit=&cursor= — newest first. */
export const handler = apiHandler(ListEscrows, { tenants }, async ({ caller, query }) =>
  json(200, await listEscrows(deps, caller.tenantId, { ...query, limit: query.limit ?? DEFAULT_PAGE_SIZE })),
);
