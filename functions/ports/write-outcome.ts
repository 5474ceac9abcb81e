/**
 * Whether a failed write may still have taken effect. A store that answered
 * (an error with an HTTP status: a 5xx, a throttle, a refused condition) did
 * not make the write; a call that got no answer — a timeout, a dropped
 * connection — may have. The AWS SDK's errors carry the status of an answer
 * in `$metadata.httpStatusCode`; one whose earlier attempt (the SDK retried)
 * got no answer is marked `$lostAnswer`; an error that wraps another is
 * judged by what it wraps.
 */
export function mayHaveTakenEffect(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== "object" || depth > 5) return true;
  const e = error as { $metadata?: { httpStatusCode?: unknown }; $lostAnswer?: unknown; cause?: unknown };
  // An earlier attempt of the SDK's retries got no answer (functions/adapters/lost-answers.ts).
  if (e.$lostAnswer === true) return true;
  if (typeof e.$metadata?.httpStatusCode === "number") return false;
  return e.cause === undefined ? true : mayHaveTakenEffect(e.cause, depth + 1);
}
