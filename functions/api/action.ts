import type { ZodMiniType as ZodType } from "zod/mini";
import { performAction } from "../app/escrow-service";
import type { ActionCommand, ActionName } from "../domain/escrow";
import { noPayments, now, store, tenants } from "../shared/store";
import { workflowEngine } from "../shared/workflow";
import { apiHandler, json, type Scope } from "./http";

const deps = { store, workflow: workflowEngine(), payments: noPayments, now };

/**
 * An action route: validate the body, claim the transition with one
 * conditional write, signal the waiting workflow, answer 202 with the escrow
 * as recorded.
 */
export function actionHandler<B extends object>(
  action: ActionName,
  body: ZodType<B>,
  scopes: Scope[] = ["escrow/marketplace"],
) {
  return apiHandler({ scopes, tenants, body, escrowPath: true, idempotency: "optional" }, async (request) => {
    const command = { action, ...request.body } as unknown as ActionCommand;
    const answer = await performAction(
      deps,
      request.caller.tenantId,
      request.escrowId,
      command,
      request.idempotency,
    );
    return json(answer.statusCode, answer.escrow, answer.replayed ? { "Idempotent-Replayed": "true" } : {});
  });
}
