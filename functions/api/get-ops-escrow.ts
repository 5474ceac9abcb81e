import { getOpsEscrow } from "../app/ops-view";
import { executionConsoleUrl, executions } from "../shared/executions";
import { desk } from "../shared/ops-desk";
import { now, store, tenants } from "../shared/store";
import { workflow } from "../shared/workflow";
import { apiHandler, json } from "./http";
import { GetOpsEscrow } from "./routes";

const deps = { store, desk, workflow, executions, executionConsoleUrl, now };

/** GET /v1/ops/escrows/{id} — the escrow with its ops desk and its current workflow execution. */
export const handler = apiHandler(GetOpsEscrow, { tenants }, async ({ caller, escrowId }) =>
  json(200, await getOpsEscrow(deps, caller.tenantId, escrowId)),
);
