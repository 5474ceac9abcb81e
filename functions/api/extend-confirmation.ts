import { actionHandler } from "./action";
import { ExtendConfirmation } from "./routes";

/** POST /v1/escrows/{id}/extension */
export const handler = actionHandler(ExtendConfirmation);
