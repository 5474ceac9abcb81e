/**
 * What the local runtime (infra/local) lends the functions running in its
 * process: the fault injector of `/_local/faults` and the sandbox payment
 * provider's own ledger of `/_local/payments`, and the service's clock of
 * `/_local/clock`. In AWS nothing is installed and
 * every hook is absent. The local runtime installs them on `globalThis` under
 * LOCAL_HOOKS before it loads any handler.
 */
export const LOCAL_HOOKS = Symbol.for("escrow.local.hooks");

export type FaultTarget = "stepfunctions" | "sns" | "lambda" | "dynamodb" | "payments";
/** `refused` (payments only): the provider declines the movement for good (API.md v1.2, local mode). */
export type FaultMode = "error" | "ambiguous" | "refused";

export interface FaultPoint {
  /**
   * Whether this call fails now, and how: `error` (fails, no effect) or
   * `ambiguous` (takes effect, the caller sees a timeout). Applies the rule's
   * probability; null when the call goes through.
   */
  check(target: FaultTarget, operation: string): FaultMode | null;
}

export type MovementType = "hold" | "void" | "payout" | "fee" | "refund";

export interface Movement {
  tenantId: string;
  escrowId: string;
  type: MovementType;
  amount: number;
  currency: string;
  /** Unique per movement; a repeat with the same key is recorded once. */
  key: string;
}

/** The movement's own fields, without whatever else the request that made it carries. */
export const movementOf = ({ tenantId, escrowId, type, amount, currency, key }: Movement): Movement => ({
  tenantId,
  escrowId,
  type,
  amount,
  currency,
  key,
});

export interface SandboxLedger {
  /** Records the movement unless its key was recorded before; returns the movement as recorded. */
  record(movement: Movement): Promise<{ id: string; at: string; recorded: boolean }>;
  /** The amount of the hold recorded with this key and not yet voided, if any. */
  heldAmount?(holdKey: string): Promise<number | undefined>;
}

/** The service's clock (API.md v1.2, "A clock that local users move"): real time plus an offset users move. */
export interface ServiceClockHook {
  /** Epoch milliseconds. */
  now(): number;
}

export interface LocalHooks {
  faults?: FaultPoint;
  sandboxLedger?: SandboxLedger;
  clock?: ServiceClockHook;
}

export const localHooks = (): LocalHooks =>
  ((globalThis as Record<symbol, unknown>)[LOCAL_HOOKS] as LocalHooks | undefined) ?? {};
