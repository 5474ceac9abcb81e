import {
  type ActionCommand,
  apply,
  decideAction,
  type Entry,
  type EntryDraft,
  fold,
  fund,
  settleEscrow,
} from "../../functions/domain/escrow";
import { withDefaults } from "../../functions/domain/kinds/registry";
import type { EscrowState, EscrowTerms } from "../../functions/domain/types";
import { BICYCLE } from "./orders";

export const T0 = new Date("2026-11-25T10:00:00.000Z");
export const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

export function terms(overrides: Partial<EscrowTerms> = {}): EscrowTerms {
  return {
    tenantId: "demo",
    id: "esc_0123456789ABCDEFGHJKMNPQRS",
    kind: "goods",
    buyerId: "u-buyer",
    sellerId: "u-seller",
    ...BICYCLE,
    metadata: {},
    windows: withDefaults("goods", undefined),
    lease: null,
    deposit: null,
    depositForfeitable: false,
    vehicle: null,
    createdAt: T0.toISOString(),
    ...overrides,
  };
}

/** An escrow with its history, driven by drafts; keeps history and state together as the store does. */
export class Harness {
  history: Entry[];
  constructor(readonly t: EscrowTerms = terms()) {
    this.history = [
      {
        type: "created",
        actor: "marketplace",
        data: {},
        v: 1,
        at: t.createdAt,
      },
    ];
  }
  get state(): EscrowState {
    return fold(this.t, this.history);
  }
  push(draft: EntryDraft, now: Date): EscrowState {
    const { entry, state } = apply(this.state, draft, now);
    this.history.push(entry);
    return state;
  }
  act(command: ActionCommand, now: Date): EscrowState {
    return this.push(decideAction(this.state, command, now), now);
  }
  fund(now = at(1)): EscrowState {
    return this.push(fund(this.state, "auth_1"), now);
  }
  settle(now: Date): EscrowState {
    return this.push(settleEscrow(this.state), now);
  }
}

/** A rental deposit: 5000 held through a two-year lease that started a day before creation. */
export function rentalTerms(overrides: Partial<EscrowTerms> = {}): EscrowTerms {
  return terms({
    kind: "rental_deposit",
    amount: 5000,
    fee: 100,
    description: "Deposit, flat 3B",
    windows: withDefaults("rental_deposit", undefined),
    lease: { startsAt: at(-86_400).toISOString(), endsAt: at(2 * 365 * 86_400).toISOString() },
    ...overrides,
  });
}
