import { ExtensionBody } from "../domain/schemas";
import { actionHandler } from "./action";

/** POST /v1/escrows/{id}/extension */
export const handler = actionHandler("extension", ExtensionBody);
