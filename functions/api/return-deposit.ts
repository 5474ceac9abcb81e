import { actionHandler } from "./action";
import { ReturnDeposit } from "./routes";

/** POST /v1/escrows/{id}/deposit-return */
export const handler = actionHandler(ReturnDeposit);
