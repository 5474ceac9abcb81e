import type { CreateEscrowInput } from "../create-input";
import type { ActionCommand, ActionName, CommonAction } from "../decide";
import type { Entry, EntryDraft } from "../entries";
import type { EventType } from "../events";
import type { WindowName } from "../outcomes";
import type { OutcomeIfSilent, ReminderParty } from "../reminders";
import type {
  ActorRole,
  EscrowState,
  EscrowStatus,
  EscrowTerms,
  EscrowView,
  Pending,
  PendingAction,
  Windows,
} from "../types";
import type { StepOutcome } from "../workflow-step";
import type { KindState, KindTerms } from "./names";

/** A broken rule of the create body or of an action, as a 400 names it. */
export interface FieldError {
  path: string;
  message: string;
}

/** The terms a kind adds to the common ones (the registry's names half lists every kind's). */
export type { KindTerms };

/**
 * A wait of the kind: the window that runs while the escrow is in a status,
 * who must act before it ends (the reminder's party, and who the ops desk
 * shows it waits for), and what happens when no one does.
 */
export type Wait = {
  window: WindowName;
  party: ReminderParty;
  /** The step that enters it: where the workflow waits (also where it carries on when ops resume the escrow). */
  step: StepOutcome;
  /** What the reminder says happens when no one acts (`outcome` or `elapsed`, in its words). */
  ifSilent: OutcomeIfSilent | ((state: EscrowState) => OutcomeIfSilent);
  /** When the wait ends, if at a date of the escrow's own (a lease's end) rather than its window after it begins. */
  until?(state: EscrowState): string;
} & (
  | {
      /** What the window ending with nothing accepted makes pending (API.md's "ends by" column). */
      outcome(state: EscrowState): Pending;
      elapsed?: never;
    }
  | {
      outcome?: never;
      /**
       * The window ending moves the escrow on by itself rather than making an outcome pending
       * (a lease's end: the renter has moved out): the change, its step and its event.
       */
      elapsed: { evolve(state: EscrowState, at: string): EscrowState; step: StepOutcome; event: EventType };
    }
);

/**
 * An action only a kind has (a rental's move-out, a car's inspection): the
 * statuses it may be taken in, who takes it, its checks and the history entry
 * it adds. Its command is the kind's (`<kind>/index.ts`), listed in
 * registry.ts's `KindCommand`.
 */
export interface OwnAction<C extends ActionCommand> {
  /** The statuses it may be taken in (API.md's status tables). */
  readonly from: readonly EscrowStatus[];
  /** Who may take it. */
  readonly actor: "buyer" | "seller" | "party";
  /** Checks of its values against the escrow (400), made before who acts is checked. */
  check?(state: EscrowState, command: C, now: Date): void;
  /** The history entry it adds, once its rules hold. */
  decide(state: EscrowState, command: C, actor: ActorRole, now: Date): EntryDraft;
}

/**
 * A history entry only a kind records: how it changes the escrow, the step
 * the workflow takes after it, and the event it is announced as (if any). Its
 * shape is the kind's (`<kind>/index.ts`), listed in registry.ts's `KindEntry`.
 */
export interface OwnEntry<E extends Entry> {
  evolve(state: EscrowState, entry: E): EscrowState;
  /** The step after it, from the escrow as the entry left it. */
  step(state: EscrowState, entry: E): StepOutcome;
  readonly event?: EventType;
}

/** A kind's own entries, one for each of its entry types. */
export type OwnEntries<E extends EntryDraft> = {
  [T in E["type"]]: OwnEntry<Extract<Entry, { type: T }>>;
};

/** A kind's own actions, one for each of its commands. */
export type OwnActions<C extends ActionCommand> = {
  [A in C["action"]]: OwnAction<Extract<C, { action: A }>>;
};

/**
 * A kind of deal (API.md: goods, service, rental_deposit, vehicle): its
 * create terms, windows and their defaults, statuses and their waits,
 * actions and their rules, and view fields. Everything that differs between
 * kinds is here; code outside functions/domain/kinds asks the escrow's kind
 * (registry.ts, `kindOf`) and never which kind it is.
 */
export interface Kind {
  readonly name: EscrowTerms["kind"];
  /** The kind's windows (their keys are its windows; `reminderSeconds` included) with their defaults. */
  readonly windows: Required<Pick<Windows, "reminderSeconds">> & Windows;
  /** Create-body fields only this kind has (a field of another kind on it is 400). */
  readonly createFields: readonly (keyof CreateEscrowInput)[];
  /** Checks the kind's own create fields and answers its terms (with `errors` pushed for what is broken). */
  terms(input: CreateEscrowInput, now: Date, errors: FieldError[]): Partial<KindTerms>;
  /** The kind's own state as a new escrow of the kind has it, from its terms (what is left out: NO_KIND_STATE). */
  start?(terms: EscrowTerms): Partial<KindState>;
  /** The entry that records the first hold (`funded`, or a kind's own, as a car's `reserved` deposit): one that names its payment. */
  readonly firstHold: Extract<Entry, { data: { paymentRef: string } }>["type"];
  /** What the first hold takes (a car's reservation deposit); left out, the whole amount. */
  firstHoldAmount?(state: EscrowState): number;
  /** The waits of the kind's statuses (a status without one: nothing runs out by itself). */
  readonly waits: Partial<Record<EscrowStatus, Wait>>;
  /** The actions of the kind; any other is 409 on its escrows. */
  readonly actions: readonly ActionName[];
  /** The kind's own statuses a common action may also be taken in (a car's dispute while RESERVED). */
  readonly alsoFrom?: { readonly [A in CommonAction]?: readonly EscrowStatus[] };
  /** The kind's own statuses in which the parties may add dispute evidence (besides REFUND_REQUESTED and DISPUTED). */
  readonly evidenceAlsoIn?: readonly EscrowStatus[];
  /** The kind's own checks of an action's values against the escrow (400), before who acts is checked. */
  checkValues?(state: EscrowState, command: ActionCommand, now: Date): void;
  /** The kind's own rule on when an action is allowed (409), after the status allows it. */
  guard?(state: EscrowState, command: ActionCommand["action"], now: Date): void;
  /** Whether its buyer can prove a face-to-face handover with a code (API.md v1.1). */
  readonly handover: boolean;
  /**
   * An accepted action of the kind's own the workflow has still to carry out besides a pending
   * outcome (a car's balance to hold after an accepted inspection): what the resource shows as
   * `pendingAction`, and the step the workflow takes for it. Meanwhile no other action is taken
   * and no wait runs.
   */
  awaiting?(state: EscrowState): { action: PendingAction; step: StepOutcome } | null;
  /**
   * What a cancellation by `by` makes pending when it is not everything held back to the buyer
   * (a car's forfeitable reservation, withdrawn by its buyer); undefined: the refund.
   */
  cancellation?(state: EscrowState, by: string, action: PendingAction): Pending | undefined;
  /**
   * The entry a kind that takes the balance in a second hold (a car's, once its inspection is accepted:
   * `balanceDue`) records when the balance cannot be held; what was held first then goes back.
   */
  readonly balanceDeclined?: Exclude<
    Extract<Entry, { data: { failureReason: string } }>["type"],
    "payment_failed"
  >;
  /** Whether a second hold (a car's balance) may have been taken unseen: a settlement lets it go. */
  balanceUnrecorded?(state: EscrowState): boolean;
  /** The fields the kind adds to the escrow resource. */
  view(state: EscrowState): Partial<EscrowView>;
}
