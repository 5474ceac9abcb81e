import { actionHandler } from "./action";
import { ClaimDeductions } from "./routes";

/** POST /v1/escrows/{id}/deduction-claim */
export const handler = actionHandler(ClaimDeductions);
