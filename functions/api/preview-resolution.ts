import { previewResolutionOf } from "../app/ops-desk";
import { now, store, tenants } from "../shared/store";
import { apiHandler, json } from "./http";
import { PreviewResolution } from "./routes";

const deps = { store, now };

/** POST /v1/ops/escrows/{id}/resolution-preview — what a resolution would move now; changes nothing. */
export const handler = apiHandler(PreviewResolution, { tenants }, async ({ caller, escrowId, body }) =>
  json(200, await previewResolutionOf(deps, { tenantId: caller.tenantId, escrowId }, body)),
);
