import { localHooks } from "../adapters/local-hooks";

/**
 * The one clock everything about escrows reads (ARCHITECTURE.md v1.2
 * decision 8): real time in AWS; locally the service's clock, which users move
 * with `POST /_local/clock`.
 */
export const now = (): Date => {
  const clock = localHooks().clock;
  return new Date(clock ? clock.now() : Date.now());
};
