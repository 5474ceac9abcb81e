import type { ActionDoc, KindFields } from "../../api/route-kit";
import type { KindDelivery, KindInput, KindNames } from "./names";
import {
  RENTAL_DEPOSIT_FIELDS,
  RENTAL_DEPOSIT_ROUTE_DOCS,
  RENTAL_DEPOSIT_ROUTES,
} from "./rental-deposit/api";
import { VEHICLE_FIELDS, VEHICLE_ROUTE_DOCS, VEHICLE_ROUTES } from "./vehicle/api";

/**
 * The registry's API half: the routes of the kinds' own actions, and what
 * each kind adds to the create body, its windows and the escrow resource,
 * each declared in its kind's folder (`<kind>/api.ts`). The route table
 * (functions/api/routes.ts) lists the routes; one Lambda entry serves them
 * all (functions/api/kind-action.ts); the create body
 * (functions/api/create-body.ts) and the OpenAPI document add the fields. A
 * kind with neither has no line here.
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

/** What every kind adds to the API's shapes (each kind's own fields; the create body's all optional). */
export const KIND_FIELDS: KindFields<KindInput, KindDelivery, KindNames<"windows">> = {
  create: () => ({ ...RENTAL_DEPOSIT_FIELDS.create(), ...VEHICLE_FIELDS.create() }),
  delivery: () => ({ ...RENTAL_DEPOSIT_FIELDS.delivery(), ...VEHICLE_FIELDS.delivery() }),
  windows: () => ({ ...RENTAL_DEPOSIT_FIELDS.windows(), ...VEHICLE_FIELDS.windows() }),
  view: () => ({ ...RENTAL_DEPOSIT_FIELDS.view(), ...VEHICLE_FIELDS.view() }),
};
