import { actionHandler } from "./action";
import { OpenDispute } from "./routes";

/** POST /v1/escrows/{id}/dispute */
export const handler = actionHandler(OpenDispute);
