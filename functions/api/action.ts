import { performAction } from "../app/escrow-service";
import { payments } from "../shared/payments";
import { now, store, tenants } from "../shared/store";
import { workflow } from "../shared/workflow";
import { apiHandler, written } from "./http";
import type { ActionRoute } from "./routes";

const deps = { store, workflow, now, payments };

/**
 * An action route of the route table: validate the body (it parses to the
 * action's command), claim the transition with one conditional write, signal
 * the waiting workflow, answer 202 with the escrow as recorded.
 */
export function actionHandler(route: ActionRoute) {
  return apiHandler(route, { tenants }, async (request) => {
    const answer = await performAction(
      deps,
      request.caller.tenantId,
      request.escrowId,
      request.body,
      request.idempotency,
      request.caller.opsUser,
    );
    return written(answer.statusCode, answer.escrow, answer.replayed);
  });
}
