import { issueHandoverCode } from "../app/handover";
import { now, store, tenants } from "../shared/store";
import { apiHandler, json } from "./http";
import { IssueHandoverCode } from "./routes";

const deps = { store, now };

/** POST /v1/escrows/{id}/handover-code — never replayed: an Idempotency-Key is not read. */
export const handler = apiHandler(IssueHandoverCode, { tenants }, async ({ caller, escrowId, body }) =>
  json(201, await issueHandoverCode(deps, { tenantId: caller.tenantId, escrowId }, body.actorId)),
);
