import { RefundResponseBody } from "../domain/schemas";
import { actionHandler } from "./action";

/** POST /v1/escrows/{id}/refund-response */
export const handler = actionHandler("refund-response", RefundResponseBody);
