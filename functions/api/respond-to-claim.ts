import { actionHandler } from "./action";
import { RespondToClaim } from "./routes";

/** POST /v1/escrows/{id}/claim-response */
export const handler = actionHandler(RespondToClaim);
