import { actionHandler } from "./action";
import { ResumeEscrow } from "./routes";

/** POST /v1/ops/escrows/{id}/resume — ops dealt with what needed them; the service tries again at once. */
export const handler = actionHandler(ResumeEscrow);
