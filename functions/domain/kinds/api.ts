import type { ActionDoc } from "../../api/route-kit";
import { RENTAL_DEPOSIT_ROUTE_DOCS, RENTAL_DEPOSIT_ROUTES } from "./rental-deposit/api";
import { VEHICLE_ROUTE_DOCS, VEHICLE_ROUTES } from "./vehicle/api";

/**
 * The registry's API half: the routes of the kinds' own actions, each
 * declared in its kind's folder (`<kind>/api.ts`). The route table
 * (functions/api/routes.ts) lists them; one Lambda entry serves them all
 * (functions/api/kind-action.ts). A kind without actions of its own has no line here.
 */
export { RENTAL_DEPOSIT_ROUTES, VEHICLE_ROUTES };

/** Every kind's own action routes. */
// Calls marked pure: a bundle that does not read them drops them (a spread is kept otherwise).
export const KIND_ROUTES = /* @__PURE__ */ (() => [...RENTAL_DEPOSIT_ROUTES, ...VEHICLE_ROUTES] as const)();

/** What the OpenAPI document says of each. */
export const KIND_ROUTE_DOCS: Record<(typeof KIND_ROUTES)[number]["id"], ActionDoc> =
  /* @__PURE__ */ (() => ({
    ...RENTAL_DEPOSIT_ROUTE_DOCS,
    ...VEHICLE_ROUTE_DOCS,
  }))();
