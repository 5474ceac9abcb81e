import type { EscrowStore } from "../../functions/ports/escrow-store";

/**
 * The store with some methods of one of its ports replaced (a fault, a lost
 * answer), the rest as they are: `withPort(store, "escrows", { append })`.
 */
export function withPort<P extends keyof EscrowStore>(
  store: EscrowStore,
  port: P,
  overrides: Partial<EscrowStore[P]>,
): EscrowStore {
  return { ...store, [port]: Object.assign(Object.create(store[port]) as EscrowStore[P], overrides) };
}
