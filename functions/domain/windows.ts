import type { EscrowKind, WindowKey, Windows } from "./types";

export * from "./durations";

/** A leaf of the domain (no kind imported, defaults are per kind: registry.ts `withDefaults`), so the kinds' modules use it. */

/** The length of one of the escrow's windows (its kind has it: the create body was checked against the kind). */
export function windowSeconds(terms: { kind: EscrowKind; windows: Windows }, key: WindowKey): number {
  const seconds = terms.windows[key];
  if (seconds === undefined) throw new Error(`a ${terms.kind} escrow has no ${key}`);
  return seconds;
}

export const addSeconds = (iso: string, seconds: number): string =>
  new Date(Date.parse(iso) + seconds * 1000).toISOString();

/** Whole seconds from `now` until `deadline`, at least 1 (a Step Functions timeout must be ≥ 1). */
export const secondsUntil = (deadline: string, now: Date): number =>
  Math.max(1, Math.ceil((Date.parse(deadline) - now.getTime()) / 1000));
