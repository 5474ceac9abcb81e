import type { VEHICLE_NAMES } from "./names";

/**
 * What a car adds to an escrow (API.md v1.1, kind `vehicle`): its create
 * input, its terms, the state they grow into, and which of it the resource
 * shows. The escrow's types are the common ones and every kind's own,
 * composed in ../names.ts.
 */

/** A vehicle's identity: its VIN, and how the marketplace describes it. */
export interface Vehicle {
  vin: string;
  description: string | null;
}

/** The create body's own fields: the reservation deposit and the car (required), whether withdrawing forfeits it. */
export interface VehicleInput {
  deposit?: number;
  depositForfeitable?: boolean;
  vehicle?: { vin: string; description?: string };
}

/** Its terms: the reservation deposit held first, whether a withdrawal forfeits it, and the car. */
export interface VehicleTerms {
  deposit: number | null;
  depositForfeitable: boolean;
  vehicle: Vehicle | null;
}

/** Its state: the buyer's inspection, once made. */
export interface VehicleState {
  inspection: { accepted: boolean; reason: string | null; at: string } | null;
}

/** Its own fields of the delivery (its names.ts's `deliveryFields`): the registration-transfer document's number. */
export type VehicleDelivery = Partial<Record<(typeof VEHICLE_NAMES.deliveryFields)[number], string>>;

/** Its fields of the resource (its module's `view`). */
export type VehicleShown = "vehicle" | "deposit" | "depositForfeitable" | "inspection";

export const NO_VEHICLE_TERMS: VehicleTerms = { deposit: null, depositForfeitable: false, vehicle: null };
export const NO_VEHICLE_STATE: VehicleState = { inspection: null };
