import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type AdvanceHooks, ServiceClock } from "../../infra/local/clock/service-clock";

/**
 * The service's clock on its own: a real-time base the tests pin, timers of
 * the service's time, and moves that fire what they pass in order, letting
 * the service settle between them.
 */

const DAY = 86_400_000;
const T0 = Date.parse("2030-01-01T00:00:00.000Z");

/** Hooks with no reconciler marks and a service that is always idle, unless a test says otherwise. */
function hooks(overrides: Partial<AdvanceHooks> = {}): AdvanceHooks {
  return {
    nextMark: async () => null,
    markDue: async () => false,
    reconcile: async () => {},
    idle: () => true,
    ...overrides,
  };
}

describe("the service's clock", () => {
  it("runs with real time, and a move adds to its offset for good", async () => {
    let real = T0;
    const clock = new ServiceClock(undefined, () => real);
    expect(clock.view()).toEqual({ now: "2030-01-01T00:00:00.000Z", offsetSeconds: 0 });
    real += 5000;
    expect(clock.now()).toBe(T0 + 5000);
    const moved = await clock.advance(86_400, hooks());
    expect(moved).toMatchObject({ offsetSeconds: 86_400, steps: 0, settled: true });
    expect(clock.now()).toBe(real + DAY);
    real += 1000;
    expect(clock.now()).toBe(T0 + 6000 + DAY);
    clock.close();
  });

  it("fires the timers a move passes in the order of their times, each at its own time, and no others", async () => {
    const clock = new ServiceClock(undefined, () => T0);
    const fired: [string, number][] = [];
    const at = (name: string, t: number) => clock.timerAt(t, () => fired.push([name, clock.now()]));
    at("day 3", T0 + 3 * DAY);
    at("day 1", T0 + DAY);
    at("day 11", T0 + 11 * DAY);
    at("day 2", T0 + 2 * DAY);
    const cancelled = at("day 4, cancelled", T0 + 4 * DAY);
    cancelled.cancel();
    const moved = await clock.advance(10 * 86_400, hooks());
    expect(fired).toEqual([
      ["day 1", T0 + DAY],
      ["day 2", T0 + 2 * DAY],
      ["day 3", T0 + 3 * DAY],
    ]);
    expect(moved.steps).toBe(3);
    // The next move reaches the last one.
    await clock.advance(86_400, hooks());
    expect(fired.map(([name]) => name)).toEqual(["day 1", "day 2", "day 3", "day 11"]);
    clock.close();
  });

  it("lets what a deadline starts come due inside the same move (a window that opens when another ends)", async () => {
    const clock = new ServiceClock(undefined, () => T0);
    const ends: number[] = [];
    // The first window ends on day 2 and opens a 14-day one, which ends inside a 30-day move.
    clock.timerAt(T0 + 2 * DAY, () => {
      ends.push(clock.now());
      clock.timerAt(clock.now() + 14 * DAY, () => ends.push(clock.now()));
    });
    await clock.advance(30 * 86_400, hooks());
    expect(ends).toEqual([T0 + 2 * DAY, T0 + 16 * DAY]);
    clock.close();
  });

  it("runs the reconciler at each mark the move passes, at the mark's time", async () => {
    const clock = new ServiceClock(undefined, () => T0);
    const marks = [T0 + DAY, T0 + 5 * DAY];
    const runs: number[] = [];
    await clock.advance(
      7 * 86_400,
      hooks({
        nextMark: async (after) => marks.find((m) => m > after) ?? null,
        markDue: async (now) => marks.some((m) => m <= now && !runs.includes(m)),
        reconcile: async () => {
          runs.push(clock.now());
        },
      }),
    );
    expect(runs).toEqual([T0 + DAY, T0 + 5 * DAY]);
    clock.close();
  });

  it("waits for the service to settle after each step before taking the next", async () => {
    const clock = new ServiceClock(undefined, () => T0);
    let busyUntil = 0;
    let probes = 0;
    const seen: number[] = [];
    clock.timerAt(T0 + DAY, () => {
      seen.push(clock.now());
      busyUntil = probes + 10; // busy for the next ten probes
    });
    clock.timerAt(T0 + 2 * DAY, () => {
      // Taken only once the first step's work was done.
      expect(probes).toBeGreaterThanOrEqual(busyUntil);
      seen.push(clock.now());
    });
    const moved = await clock.advance(3 * 86_400, hooks({ idle: () => ++probes >= busyUntil }));
    expect(seen).toEqual([T0 + DAY, T0 + 2 * DAY]);
    expect(moved.settled).toBe(true);
    clock.close();
  });

  it("takes moves one after the other", async () => {
    const clock = new ServiceClock(undefined, () => T0);
    const results = await Promise.all([clock.advance(60, hooks()), clock.advance(60, hooks())]);
    expect(results.map((r) => r.offsetSeconds)).toEqual([60, 120]);
    clock.close();
  });

  it("keeps its offset across a restart, and never moves back", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "escrow-clock-")), "clock.json");
    const first = new ServiceClock(file, () => T0);
    await first.advance(3_600, hooks());
    first.close();
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ offsetMs: 3_600_000 });
    const second = new ServiceClock(file, () => T0 + 1000);
    expect(second.now()).toBe(T0 + 1000 + 3_600_000);
    expect(second.offsetSeconds).toBe(3_600);
    second.close();
  });

  it("fires a timer by real time when nobody moves the clock", async () => {
    const clock = new ServiceClock();
    const at = clock.now() + 20;
    const fired = await new Promise<number>((resolve) => clock.timerAt(at, () => resolve(clock.now())));
    expect(fired).toBeGreaterThanOrEqual(at);
    clock.close();
  });
});
