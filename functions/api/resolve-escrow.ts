import { actionHandler } from "./action";
import { ResolveEscrow } from "./routes";

/** POST /v1/ops/escrows/{id}/resolution — ops decide a dispute (or settle an escalated escrow). */
export const handler = actionHandler(ResolveEscrow);
