import { afterEach, describe, expect, it, vi } from "vitest";
import { pauseBeforeRetry } from "../../functions/app/pause";

describe("pauseBeforeRetry", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("waits 100 ms before the second attempt, doubling with each: 800 ms before the fifth", async () => {
    vi.useFakeTimers();
    for (const [attempt, ms] of [
      [0, 100],
      [1, 200],
      [3, 800],
    ] as const) {
      let done = false;
      const pause = pauseBeforeRetry(attempt).then(() => {
        done = true;
      });
      await vi.advanceTimersByTimeAsync(ms - 1);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await pause;
      expect(done).toBe(true);
    }
  });
});
