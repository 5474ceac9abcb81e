import { actionHandler } from "./action";
import { RespondToRefund } from "./routes";

/** POST /v1/escrows/{id}/refund-response */
export const handler = actionHandler(RespondToRefund);
