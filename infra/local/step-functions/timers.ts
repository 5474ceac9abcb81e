/** Longest single setTimeout we ever arm (24 days): Node fires longer ones at once, so longer waits re-arm. */
export const MAX_TIMER_MS = 24 * 24 * 3600 * 1000;

export interface Timer {
  cancel(): void;
}

/** A timer that fires at an absolute time of `now()`, however far away (re-arms past 24 days). */
export function timerAt(now: () => number, at: number, fire: () => void): Timer {
  let handle: NodeJS.Timeout | undefined;
  let cancelled = false;
  const tick = () => {
    if (cancelled) return;
    const delay = at - now();
    if (delay <= 0) fire();
    else handle = setTimeout(tick, Math.min(delay, MAX_TIMER_MS));
  };
  handle = setTimeout(tick, Math.max(0, Math.min(at - now(), MAX_TIMER_MS)));
  return {
    cancel() {
      cancelled = true;
      clearTimeout(handle);
    },
  };
}

/** Lets queued callbacks (the engine's event consumer) run first. */
export const sleepImmediate = () => new Promise<void>((resolve) => setImmediate(resolve));
