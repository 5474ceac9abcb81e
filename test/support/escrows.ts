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
import type { EscrowState, EscrowTerms } from "../../functions/domain/types";
import { withDefaults } from "../../functions/domain/windows";

export const T0 = new Date("2026-11-25T10:00:00.000Z");
export const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

export function terms(overrides: Partial<EscrowTerms> = {}): EscrowTerms {
  return {
    tenantId: "demo",
    id: "esc_0123456789ABCDEFGHJKMNPQRS",
    kind: "goods",
    buyerId: "u-buyer",
    sellerId: "u-seller",
    amount: 12999,
    currency: "CNY",
    fee: 390,
    paymentMethod: "pm_sandbox_ok",
    description: "Second-hand bicycle",
    listingRef: "listing-88",
    metadata: {},
    windows: withDefaults("goods", undefined),
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
