import { mayHaveTakenEffect } from "../ports/write-outcome";
import { logger } from "../shared/logger";
import { pauseBeforeRetry } from "./pause";

/**
 * A write that may have landed and whose fate could not be learned: not a 503
 * (a 503 promises that nothing changed) but a 500, whose detail asks for a
 * retry with the same Idempotency-Key — and the retry finds what landed.
 */
export class OutcomeUnknownError extends Error {
  override readonly name = "OutcomeUnknownError";
}

/**
 * Runs a write; if it fails without an answer (it may have landed), reads back
 * whether it did: landed, the write's result; not landed, its error (the
 * caller's 503, nothing changed); unreadable after a few tries,
 * OutcomeUnknownError.
 */
export async function writeSeeingThrough<T>(
  what: string,
  write: () => Promise<T>,
  landed: () => Promise<T | undefined>,
): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!mayHaveTakenEffect(error)) throw error;
    for (let attempt = 0; attempt < 4; attempt++) {
      try {
        const found = await landed();
        if (found === undefined) throw error;
        return found;
      } catch (readError) {
        if (readError === error) throw error;
        logger.warn(`reading back ${what} failed`, { error: String(readError) });
        await pauseBeforeRetry(attempt);
      }
    }
    logger.warn(`${what}: the write may have landed and could not be read back`, { error: String(error) });
    throw new OutcomeUnknownError(`${what}: the write may have landed and could not be read back`);
  }
}
