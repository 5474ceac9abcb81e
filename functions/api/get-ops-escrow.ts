import { getOpsEscrow } from "../app/escrow-service";
import { now, store, tenants } from "../shared/store";
import { workflow } from "../shared/workflow";
import { apiHandler, json } from "./http";
import { GetOpsEscrow } from "./routes";

const deps = { store, now, workflow, region: process.env.AWS_REGION ?? "us-east-1" };

/** GET /v1/ops/escrows/{id} — the escrow with its current workflow execution and console link. */
export const handler = apiHandler(GetOpsEscrow, { tenants }, async ({ caller, escrowId }) =>
  json(200, await getOpsEscrow(deps, caller.tenantId, escrowId)),
);
