import { RENTAL_DEPOSIT_NAMES } from "./rental-deposit/names";
import { VEHICLE_NAMES } from "./vehicle/names";

/**
 * The registry's names half: each kind's own statuses, events, windows,
 * pending actions, reminder outcomes and workflow steps (`<kind>/names.ts`).
 * The domain's enumerations are the common ones and these (types.ts,
 * events.ts, outcomes.ts, reminders.ts, workflow-step.ts), and the API's
 * enumerations follow. Leaves only: the domain's leaves import this. A kind
 * with no names of its own (goods, service) has no line here.
 */
export const KIND_NAMES = [VEHICLE_NAMES, RENTAL_DEPOSIT_NAMES] as const;

type Names = (typeof KIND_NAMES)[number];
type NameList = "statuses" | "events" | "windows" | "windowNames" | "pendingActions" | "ifSilent" | "steps";

/** Every kind's own names of one sort (each kind's are its own: two kinds never share one). */
export type KindNames<L extends NameList> = Names[L][number];

/** Every kind's own names of one sort, in the registry's order. */
export const kindNames = <L extends NameList>(list: L): KindNames<L>[] =>
  KIND_NAMES.flatMap((names) => names[list] as readonly KindNames<L>[]);
