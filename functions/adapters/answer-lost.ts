/**
 * Whether a write's answer was lost — it timed out or its connection dropped
 * — so that it may have taken effect: the adapter answers `unknown` and the
 * caller reads back to see. (A refused or throttled write took no effect.)
 */
export function isAnswerLost(error: unknown): boolean {
  const e = error as { name?: string; code?: string; message?: string } | null;
  return (
    e?.name === "TimeoutError" ||
    e?.code === "ECONNRESET" ||
    e?.code === "EPIPE" ||
    /socket hang up|ECONNRESET/.test(String(e?.message ?? ""))
  );
}
