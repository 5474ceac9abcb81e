import type { Entry } from "../entries";
import type { EscrowState, PendingAction, WindowKey, Windows } from "../types";
import { goods } from "./goods";
import type { Kind, OwnAction, OwnActions, OwnEntries, OwnEntry, Wait } from "./kind";
import type { KindNames } from "./names";
import {
  RENTAL_DEPOSIT_ACTIONS,
  RENTAL_DEPOSIT_ENTRIES,
  type RentalDepositCommand,
  type RentalDepositEntry,
  rentalDeposit,
} from "./rental-deposit";
import { service } from "./service";
import { VEHICLE_ACTIONS, VEHICLE_ENTRIES, type VehicleCommand, type VehicleEntry, vehicle } from "./vehicle";

/**
 * The kinds of deal, each a module of its own (functions/domain/kinds/<kind>).
 * To add a kind: its module, a line here, its OpenAPI examples and its tests
 * (README, "Adding a kind").
 */
export const KINDS = ["goods", "service", "rental_deposit", "vehicle"] as const;
export type EscrowKind = (typeof KINDS)[number];

/** The kind of an escrow whose create body names none. */
export const DEFAULT_KIND: EscrowKind = "goods";

export const KIND_MODULES: Record<EscrowKind, Kind> = {
  goods,
  service,
  rental_deposit: rentalDeposit,
  vehicle,
};

/** The commands only some kinds have (each kind's module defines its own). */
export type KindCommand = RentalDepositCommand | VehicleCommand;

/** The history entries only some kinds record (each kind's module defines its own). */
export type KindEntry = RentalDepositEntry | VehicleEntry;

/** The workflow steps only some kinds take (each kind's names.ts names its own; its workflow.ts routes them). */
export type KindStep = KindNames<"steps">;

/** The kinds' own actions and entries, by name (the kinds' modules import only the domain's leaves). */
const OWN_ACTIONS: OwnActions<KindCommand> = { ...RENTAL_DEPOSIT_ACTIONS, ...VEHICLE_ACTIONS };
const OWN_ENTRIES: OwnEntries<KindEntry> = { ...RENTAL_DEPOSIT_ENTRIES, ...VEHICLE_ENTRIES };

/** The kinds' own action names and entry types (a test holds code outside the kinds to name none of them). */
export const KIND_OWN_NAMES = { actions: Object.keys(OWN_ACTIONS), entries: Object.keys(OWN_ENTRIES) };

/** The kind's own action of this name, if it is one. */
export const ownAction = (action: string): OwnAction<KindCommand> | undefined =>
  Object.hasOwn(OWN_ACTIONS, action)
    ? (OWN_ACTIONS[action as KindCommand["action"]] as OwnAction<KindCommand>)
    : undefined;

/** The kind's own entry of this type, if it is one. */
export const ownEntry = (type: string): OwnEntry<Entry> | undefined =>
  Object.hasOwn(OWN_ENTRIES, type)
    ? (OWN_ENTRIES[type as KindEntry["type"]] as unknown as OwnEntry<Entry>)
    : undefined;

/** The wait of the escrow's kind whose window this is (a window_elapsed entry names it). */
export function waitWithWindow(state: Pick<EscrowState, "kind">, window: string): Wait {
  const wait = findWait(state, window);
  if (!wait) throw new Error(`a ${state.kind} escrow has no ${window} window`);
  return wait;
}

/** The wait whose window this is, when its ending moves the escrow on by itself (a lease's end). */
export const elapsedOf = (state: Pick<EscrowState, "kind">, window: string) =>
  findWait(state, window)?.elapsed;

const findWait = (state: Pick<EscrowState, "kind">, window: string): Wait | undefined =>
  Object.values(KIND_MODULES[state.kind].waits).find((w) => w?.window === window);

/** The kind an escrow (or its terms) is of. */
export const kindOf = (of: { kind: EscrowKind }): Kind => KIND_MODULES[of.kind];

/** The kind's windows (its create body's `windows` keys). */
export const windowKeysOf = (kind: EscrowKind): WindowKey[] =>
  Object.keys(KIND_MODULES[kind].windows) as WindowKey[];

export { NO_KIND_STATE, NO_KIND_TERMS } from "./names";

/** Every kind's own create fields (a field of another kind is 400 on an escrow of this one). */
export const KIND_FIELDS = [...new Set(Object.values(KIND_MODULES).flatMap((k) => k.createFields))];

/**
 * The accepted action the workflow has still to carry out (the pending outcome's, or one of the
 * kind's own, as a car's balance to hold), or null: while there is one, no other action is taken,
 * no wait runs and no one is reminded.
 */
export const acceptedAction = (state: EscrowState): PendingAction | null =>
  state.pending?.action ?? KIND_MODULES[state.kind].awaiting?.(state)?.action ?? null;

/** The wait that runs in the escrow's status, if any. */
export const waitOf = (state: Pick<EscrowState, "kind" | "status">): Wait | undefined =>
  KIND_MODULES[state.kind].waits[state.status];

/** The kind's windows as given at creation, each left out taking the kind's default. */
export const withDefaults = (kind: EscrowKind, given: Partial<Windows> | undefined): Windows => ({
  ...KIND_MODULES[kind].windows,
  ...Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined)),
});
