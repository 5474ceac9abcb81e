/** The limits and defaults of the service's durations, in seconds (a leaf: kinds and windows both read it). */

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

/** A lease ends at most this long after the escrow is created, or after a renewal. */
