import { actionHandler } from "./action";
import { RequestEvidence } from "./routes";

/** POST /v1/ops/escrows/{id}/evidence-request — ops ask the parties for evidence by a time; the dispute waits for it. */
export const handler = actionHandler(RequestEvidence);
