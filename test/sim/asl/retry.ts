import type { JsonObject } from "./json";

/**
 * How a Task's error is retried or caught: the first retrier whose
 * ErrorEquals names the error decides (and once its MaxAttempts are used, the
 * error goes to the catchers); `States.ALL` matches every error and
 * `States.TaskFailed` every error but `States.Timeout`; `States.Runtime` is
 * never retried or caught.
 */

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: "FULL" | "NONE";
}
export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
}

export function matches(names: readonly string[], error: string, isTask: boolean): boolean {
  if (error === "States.Runtime") return false;
  return names.some(
    (n) =>
      n === error ||
      n === "States.ALL" ||
      (isTask && n === "States.TaskFailed" && error !== "States.Timeout"),
  );
}

/**
 * The retrier that handles `error` and the wait before the retry (ms), or
 * null (no retrier names it, or the one that does has no attempts left).
 * `counts` (per retrier, this visit of the state) is updated.
 */
export function retryFor(
  retriers: readonly Retrier[] | undefined,
  counts: number[],
  error: string,
  isTask: boolean,
  jitter: () => number,
): { index: number; delayMs: number } | null {
  if (!retriers) return null;
  for (const [index, r] of retriers.entries()) {
    if (!matches(r.ErrorEquals, error, isTask)) continue;
    const used = counts[index] ?? 0;
    if (used >= (r.MaxAttempts ?? 3)) return null;
    counts[index] = used + 1;
    return { index, delayMs: backoffMs(r, used + 1, jitter) };
  }
  return null;
}

/** The wait before retry number `attempt` (1 = the first retry). */
export function backoffMs(r: Retrier, attempt: number, jitter: () => number): number {
  let seconds = (r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** (attempt - 1);
  if (r.MaxDelaySeconds !== undefined) seconds = Math.min(seconds, r.MaxDelaySeconds);
  const ms = Math.round(seconds * 1000);
  return r.JitterStrategy === "FULL" ? Math.floor(jitter() * ms) : ms;
}

export function catcherFor(catchers: readonly Catcher[] | undefined, error: string, isTask: boolean) {
  return catchers?.find((c) => matches(c.ErrorEquals, error, isTask)) ?? null;
}

export const isRetrierList = (v: unknown): v is Retrier[] =>
  Array.isArray(v) && v.every((r) => Array.isArray((r as JsonObject)?.ErrorEquals));
