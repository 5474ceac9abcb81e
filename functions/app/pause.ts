/**
 * The pause before trying a failing dependency again within one request:
 * 100 ms before the second attempt, doubling with each (100, 200, 400, 800 ms…).
 * Every such loop of the application backs off alike. `retryPauses.scale`
 * is 1; a test that counts the attempts, not the waiting, sets it to 0.
 */
export const retryPauses = { scale: 1 };

export const pauseBeforeRetry = (attempt: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt * retryPauses.scale));
