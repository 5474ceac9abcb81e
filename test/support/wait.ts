/**
 * The one polling helper of the test suites: calls `probe` until it returns
 * something other than undefined/false (or throws a clear error naming
 * `what`, with the last value seen, once `timeoutMs` has passed). The
 * timeout only stops a test that would hang; it never decides a result.
 */
export interface WaitOptions<T> {
  /** Give up after this long (default 5 s). */
  timeoutMs?: number;
  /** What is awaited, for the error message. */
  what?: string;
  /** Pause between probes (default 10 ms). */
  intervalMs?: number;
  /** Describes the last value probed, for the error message. */
  describe?: (last: T | undefined) => string;
}

export async function waitFor<T>(
  probe: () => T | Promise<T>,
  options: WaitOptions<T> = {},
): Promise<Exclude<T, undefined | false>> {
  const { timeoutMs = 5000, what = "condition", intervalMs = 10 } = options;
  const until = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (last !== undefined && last !== false) return last as Exclude<T, undefined | false>;
    if (Date.now() > until) {
      const seen = options.describe ? `; last seen: ${options.describe(last)}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${seen}`);
    }
    await new Promise<void>((r) => setTimeout(r, intervalMs));
  }
}
