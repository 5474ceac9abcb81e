import { assign } from "../app/ops-desk";
import { executionConsoleUrl, executions } from "../shared/executions";
import { desk } from "../shared/ops-desk";
import { now, store, tenants } from "../shared/store";
import { workflow } from "../shared/workflow";
import { apiHandler, written } from "./http";
import { AssignEscrow } from "./routes";

const deps = { store, desk, workflow, executions, executionConsoleUrl, now };

/** POST /v1/ops/escrows/{id}/assignment — take the case (`me`) or let it go (null); answers the ops view. */
export const handler = apiHandler(
  AssignEscrow,
  { tenants },
  async ({ caller, escrowId, body, idempotency }) => {
    const ref = { tenantId: caller.tenantId, escrowId };
    const answer = await assign(deps, ref, caller.opsUser, body.assignee, idempotency);
    return written(200, answer.view, answer.replayed);
  },
);
