import { actionHandler } from "./action";
import { ConfirmReceipt } from "./routes";

/** POST /v1/escrows/{id}/confirmation */
export const handler = actionHandler(ConfirmReceipt);
