import { listOpsEscrows } from "../app/ops-view";
import { desk } from "../shared/ops-desk";
import { now, store, tenants } from "../shared/store";
import { apiHandler, json } from "./http";
import { ListOpsEscrows } from "./routes";
import { DEFAULT_PAGE_SIZE } from "./schemas";

const deps = { store, desk, now };

/**
 * GET /v1/ops/escrows — the ops queue: without `status`, every DISPUTED escrow and every escrow that
 * needs ops, soonest deadline first; `?status=` every escrow in that status; `?needsOpsAttention=`;
 * `?assignee=me|none`.
 */
export const handler = apiHandler(ListOpsEscrows, { tenants }, async ({ caller, query }) =>
  json(
    200,
    await listOpsEscrows(
      deps,
      caller.tenantId,
      { ...query, limit: query.limit ?? DEFAULT_PAGE_SIZE },
      caller.opsUser,
    ),
  ),
);
