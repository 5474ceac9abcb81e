import { actionHandler } from "./action";
import { RequestRefund } from "./routes";

/** POST /v1/escrows/{id}/refund-request */
export const handler = actionHandler(RequestRefund);
