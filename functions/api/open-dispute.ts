import { DisputeBody } from "../domain/schemas";
import { actionHandler } from "./action";

/** POST /v1/escrows/{id}/dispute */
export const handler = actionHandler("dispute", DisputeBody);
