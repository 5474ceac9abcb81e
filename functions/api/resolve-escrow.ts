import { ResolutionBody } from "../domain/schemas";
import { actionHandler } from "./action";

/** POST /v1/ops/escrows/{id}/resolution — ops decide a dispute (or settle an escalated escrow). */
export const handler = actionHandler("resolution", ResolutionBody, ["escrow/ops"]);
