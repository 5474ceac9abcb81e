import { createEscrow } from "../app/escrow-service";
import { loadEnv } from "../shared/config";
import { payments } from "../shared/payments";
import { now, store, tenants } from "../shared/store";
import { workflow } from "../shared/workflow";
import { apiHandler, written } from "./http";
import { CreateEscrow } from "./routes";

const env = loadEnv(["STATE_MACHINE_ARN", "SUPPORTED_CURRENCIES", "CELL_ID"]);
const deps = { store, workflow, payments, now, cellId: env.CELL_ID };
const settings = { currencies: env.SUPPORTED_CURRENCIES.split(",") };

/** POST /v1/escrows — 201 with the new escrow (PENDING_FUNDS); the workflow takes the hold. */
export const handler = apiHandler(
  CreateEscrow,
  { tenants, settings },
  async ({ caller, body, idempotency }) => {
    const answer = await createEscrow(
      deps,
      caller.tenantId,
      body,
      idempotency as NonNullable<typeof idempotency>,
    );
    return written(answer.statusCode, answer.escrow, answer.replayed, {
      Location: `/v1/escrows/${answer.escrow.id}`,
    });
  },
);
