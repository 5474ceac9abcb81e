import { RefundRequestBody } from "../domain/schemas";
import { actionHandler } from "./action";

/** POST /v1/escrows/{id}/refund-request */
export const handler = actionHandler("refund-request", RefundRequestBody);
