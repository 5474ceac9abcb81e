import { listHistory } from "../app/escrow-service";
import { now, store, tenants } from "../shared/store";
import { apiHandler, json } from "./http";
import { ListEscrowEvents } from "./routes";

const deps = { store, now };

/** GET /v1/escrows/{id}/events — one entry per transition and accepted action, oldest first. */
export const handler = apiHandler(ListEscrowEvents, { tenants }, async ({ caller, escrowId }) =>
  json(200, await listHistory(deps, caller.tenantId, escrowId)),
);
