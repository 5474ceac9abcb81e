import { RENTAL_DEPOSIT_NAMES } from "./rental-deposit/names";
import {
  NO_RENTAL_DEPOSIT_STATE,
  NO_RENTAL_DEPOSIT_TERMS,
  type RentalDepositInput,
  type RentalDepositShown,
  type RentalDepositState,
  type RentalDepositTerms,
} from "./rental-deposit/types";
import { VEHICLE_NAMES } from "./vehicle/names";
import {
  NO_VEHICLE_STATE,
  NO_VEHICLE_TERMS,
  type VehicleInput,
  type VehicleShown,
  type VehicleState,
  type VehicleTerms,
} from "./vehicle/types";

/**
 * The registry's names half: each kind's own statuses, events, windows,
 * pending actions, reminder outcomes and workflow steps (`<kind>/names.ts`),
 * and what it adds to the escrow's types (`<kind>/types.ts`).
 * The domain's enumerations are the common ones and these (types.ts,
 * events.ts, outcomes.ts, reminders.ts, workflow-step.ts), and the API's
 * enumerations follow. Leaves only: the domain's leaves import this. A kind
 * with no names of its own (goods, service) has no line here.
 */
export const KIND_NAMES = [VEHICLE_NAMES, RENTAL_DEPOSIT_NAMES] as const;

type Names = (typeof KIND_NAMES)[number];
type NameList =
  | "statuses"
  | "events"
  | "windows"
  | "windowNames"
  | "pendingActions"
  | "ifSilent"
  | "deliveryFields"
  | "steps";

/** Every kind's own names of one sort (each kind's are its own: two kinds never share one). */
export type KindNames<L extends NameList> = Names[L][number];

/** Every kind's own names of one sort, in the registry's order. */
export const kindNames = <L extends NameList>(list: L): KindNames<L>[] =>
  KIND_NAMES.flatMap((names) => names[list] as readonly KindNames<L>[]);

/** The fields a kind's delivery carries besides the common ones (a car's `titleTransferRef`), each text. */
export type KindDelivery = Partial<Record<KindNames<"deliveryFields">, string>>;

/** Every kind's delivery fields, listed once (the fold reads them for every delivery). */
const DELIVERY_FIELDS = kindNames("deliveryFields");

/** The kinds' delivery fields given in `from` (a command, an entry), those left out left out. */
export const kindDeliveryOf = (from: KindDelivery): KindDelivery =>
  Object.fromEntries(DELIVERY_FIELDS.flatMap((k) => (from[k] === undefined ? [] : [[k, from[k]]])));

/** The create body's fields only some kinds have (each kind's own, all optional: the kind checks its own). */
export type KindInput = RentalDepositInput & VehicleInput;

/** The terms only some kinds have; an escrow of another kind has them as NO_KIND_TERMS. */
export type KindTerms = RentalDepositTerms & VehicleTerms;

/** The state only some kinds have (replacing its terms of the same name); another kind's: NO_KIND_STATE. */
export type KindState = RentalDepositState & VehicleState;

/** The kinds' fields the resource shows (each kind's module's `view`). */
export type KindShown = RentalDepositShown | VehicleShown;

/** Every kind's own terms as an escrow of another kind has them. */
export const NO_KIND_TERMS: KindTerms = { ...NO_RENTAL_DEPOSIT_TERMS, ...NO_VEHICLE_TERMS };

/** Every kind's own state as an escrow of another kind has it (and its own, until it is set). */
export const NO_KIND_STATE: KindState = { ...NO_RENTAL_DEPOSIT_STATE, ...NO_VEHICLE_STATE };
