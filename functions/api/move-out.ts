import { actionHandler } from "./action";
import { MoveOut } from "./routes";

/** POST /v1/escrows/{id}/move-out */
export const handler = actionHandler(MoveOut);
