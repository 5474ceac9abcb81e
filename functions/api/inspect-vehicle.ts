import { actionHandler } from "./action";
import { InspectVehicle } from "./routes";

/** POST /v1/escrows/{id}/inspection */
export const handler = actionHandler(InspectVehicle);
