import { actionHandler } from "./action";
import { RenewLease } from "./routes";

/** POST /v1/escrows/{id}/lease-renewal */
export const handler = actionHandler(RenewLease);
