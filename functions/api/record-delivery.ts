import { DeliveryBody } from "../domain/schemas";
import { actionHandler } from "./action";

/** POST /v1/escrows/{id}/delivery */
export const handler = actionHandler("delivery", DeliveryBody);
