import { ConfirmationBody } from "../domain/schemas";
import { actionHandler } from "./action";

/** POST /v1/escrows/{id}/confirmation */
export const handler = actionHandler("confirmation", ConfirmationBody);
