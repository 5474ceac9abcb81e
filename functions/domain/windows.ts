import type { EscrowKind, WindowKey, Windows } from "./types";

export const SECOND = 1;
export const DAY = 86_400;

/** Each window is between 1 second and 90 days (API.md). */
export const MIN_WINDOW_SECONDS = 1;
export const MAX_WINDOW_SECONDS = 90 * DAY;

/** Extensions: each 1 s to 30 days, and at most 30 days in all. */
export const MAX_EXTENSION_SECONDS = 30 * DAY;
export const MAX_TOTAL_EXTENSION_SECONDS = 30 * DAY;
/**
 * A cap on how many times a buyer may extend, so that one escrow's execution
 * history stays far below Step Functions' 25,000-event limit.
 */
export const MAX_EXTENSIONS = 20;

/** How long before a deadline its reminder goes out: 0 (none) to 7 days, by default a day. */
export const MAX_REMINDER_SECONDS = 7 * DAY;
export const DEFAULT_REMINDER_SECONDS = DAY;

/** The windows each kind has, in the order they are stored (every kind ends with its reminder lead). */
export const WINDOW_KEYS: Record<EscrowKind, readonly WindowKey[]> = {
  goods: [
    "deliverySeconds",
    "confirmationSeconds",
    "sellerResponseSeconds",
    "disputeSeconds",
    "reminderSeconds",
  ],
  service: [
    "deliverySeconds",
    "confirmationSeconds",
    "sellerResponseSeconds",
    "disputeSeconds",
    "reminderSeconds",
  ],
  rental_deposit: ["claimSeconds", "claimResponseSeconds", "disputeSeconds", "reminderSeconds"],
  vehicle: [
    "inspectionSeconds",
    "deliverySeconds",
    "confirmationSeconds",
    "sellerResponseSeconds",
    "disputeSeconds",
    "reminderSeconds",
  ],
};

/** A lease ends at most this long after the escrow is created, or after a renewal. */
export const MAX_LEASE_SECONDS = 5 * 365 * DAY + DAY; // five years, leap days included

export const DEFAULT_WINDOWS: Record<EscrowKind, Windows> = {
  goods: {
    deliverySeconds: 7 * DAY,
    confirmationSeconds: 10 * DAY,
    sellerResponseSeconds: 5 * DAY,
    disputeSeconds: 30 * DAY,
    reminderSeconds: DEFAULT_REMINDER_SECONDS,
  },
  service: {
    deliverySeconds: 14 * DAY,
    confirmationSeconds: 7 * DAY,
    sellerResponseSeconds: 5 * DAY,
    disputeSeconds: 30 * DAY,
    reminderSeconds: DEFAULT_REMINDER_SECONDS,
  },
  rental_deposit: {
    claimSeconds: 14 * DAY,
    claimResponseSeconds: 14 * DAY,
    disputeSeconds: 30 * DAY,
    reminderSeconds: DEFAULT_REMINDER_SECONDS,
  },
  vehicle: {
    inspectionSeconds: 3 * DAY,
    deliverySeconds: 7 * DAY,
    confirmationSeconds: 3 * DAY,
    sellerResponseSeconds: 5 * DAY,
    disputeSeconds: 30 * DAY,
    reminderSeconds: DEFAULT_REMINDER_SECONDS,
  },
};

/** The length of one of the escrow's windows (its kind has it: the create body was checked against the kind). */
export function windowSeconds(terms: { kind: EscrowKind; windows: Windows }, key: WindowKey): number {
  const seconds = terms.windows[key];
  if (seconds === undefined) throw new Error(`a ${terms.kind} escrow has no ${key}`);
  return seconds;
}

export const withDefaults = (kind: EscrowKind, given: Partial<Windows> | undefined): Windows => ({
  ...DEFAULT_WINDOWS[kind],
  ...Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined)),
});

export const addSeconds = (iso: string, seconds: number): string =>
  new Date(Date.parse(iso) + seconds * 1000).toISOString();

/** Whole seconds from `now` until `deadline`, at least 1 (a Step Functions timeout must be ≥ 1). */
export const secondsUntil = (deadline: string, now: Date): number =>
  Math.max(1, Math.ceil((Date.parse(deadline) - now.getTime()) / 1000));
