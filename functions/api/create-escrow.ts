import { createEscrow } from "../app/escrow-service";
import { createEscrowBody } from "../domain/schemas";
import { loadEnv } from "../shared/config";
import { payments } from "../shared/payments";
import { now, store, tenants } from "../shared/store";
import { workflowEngine } from "../shared/workflow";
import { apiHandler, json } from "./http";

const env = loadEnv(["STATE_MACHINE_ARN", "SUPPORTED_CURRENCIES"]);
const deps = { store, workflow: workflowEngine(env.STATE_MACHINE_ARN), payments, now };
const body = createEscrowBody(env.SUPPORTED_CURRENCIES.split(","));

/** POST /v1/escrows — 201 with the new escrow (PENDING_FUNDS); the workflow takes the hold. */
export const handler = apiHandler(
  { scopes: ["escrow/marketplace"], tenants, body, idempotency: "required" },
  async ({ caller, body, idempotency }) => {
    const answer = await createEscrow(
      deps,
      caller.tenantId,
      body,
      idempotency as NonNullable<typeof idempotency>,
    );
    return json(answer.statusCode, answer.escrow, {
      Location: `/v1/escrows/${answer.escrow.id}`,
      ...(answer.replayed ? { "Idempotent-Replayed": "true" } : {}),
    });
  },
);
