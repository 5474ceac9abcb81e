import { CancellationBody } from "../domain/schemas";
import { actionHandler } from "./action";

/** POST /v1/escrows/{id}/cancellation */
export const handler = actionHandler("cancellation", CancellationBody);
