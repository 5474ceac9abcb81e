import { actionHandler } from "./action";
import { CancelEscrow } from "./routes";

/** POST /v1/escrows/{id}/cancellation */
export const handler = actionHandler(CancelEscrow);
