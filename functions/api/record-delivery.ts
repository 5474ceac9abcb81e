import { actionHandler } from "./action";
import { RecordDelivery } from "./routes";

/** POST /v1/escrows/{id}/delivery */
export const handler = actionHandler(RecordDelivery);
