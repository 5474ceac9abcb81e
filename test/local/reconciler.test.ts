import { createServer } from "node:http";
import { describe, expect, it } from "vitest";
import {
  createReconcileListener,
  RETRY_FAILED_MS,
  reconcileSeconds,
  startReconciler,
} from "../../infra/local/reconciler";
import { eventsTopicOf, functionById, type LocalFunction, type LocalModel } from "../../infra/local/template";
import { closeServer, listen } from "./helpers";

/** The reconciler on a timer (ARCHITECTURE.md v1.1, 1) and `POST /_local/reconcile`. */

function manualTimer() {
  const t: { tick: () => void; ms?: number; stopped: boolean } = { tick: () => {}, stopped: false };
  return {
    t,
    schedule: (tick: () => void, ms: number) => {
      Object.assign(t, { tick, ms });
      return { stop: () => (t.stopped = true) };
    },
  };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("startReconciler", () => {
  it("runs the function with {} on every tick, never two runs at once, and goes on after a failed run", async () => {
    const { t, schedule } = manualTimer();
    const runs: Array<ReturnType<typeof deferred<unknown>>> = [];
    const events: unknown[] = [];
    const errors: unknown[] = [];
    const reconciler = startReconciler({
      invoke: (event) => {
        events.push(event);
        const run = deferred<unknown>();
        runs.push(run);
        return run.promise;
      },
      intervalSeconds: 60,
      onError: (e) => errors.push(e),
      schedule,
    });
    expect(t.ms).toBe(60_000);
    t.tick();
    t.tick(); // the first run is still going: no second one
    expect(events).toEqual([{}]);
    runs[0]?.reject(new Error("table unavailable"));
    await waitUntil(() => errors.length === 1);
    expect(errors).toEqual([new Error("table unavailable")]);
    t.tick(); // the timer goes on after a failure
    expect(events).toHaveLength(2);
    runs[1]?.resolve({ repaired: 0 });
    await reconciler.stop();
    expect(t.stopped).toBe(true);
    t.tick();
    expect(events).toHaveLength(2);
  });

  it("runNow waits for a run in progress, then runs once more and returns the handler's result", async () => {
    const { t, schedule } = manualTimer();
    const runs: Array<ReturnType<typeof deferred<unknown>>> = [];
    const reconciler = startReconciler({
      invoke: () => {
        const run = deferred<unknown>();
        runs.push(run);
        return run.promise;
      },
      intervalSeconds: 1,
      onError: () => {},
      schedule,
    });
    t.tick();
    const now = reconciler.runNow();
    await Promise.resolve();
    expect(runs).toHaveLength(1); // not alongside the timer's run
    runs[0]?.resolve({ from: "timer" });
    await waitUntil(() => runs.length === 2);
    runs[1]?.resolve({ repaired: 3 });
    expect(await now).toEqual({ repaired: 3 });
    await reconciler.stop();
  });

  it("does nothing without a Reconciler function in the stack", async () => {
    const { t, schedule } = manualTimer();
    const reconciler = startReconciler({ intervalSeconds: 60, onError: () => {}, schedule });
    expect(reconciler.available).toBe(false);
    expect(t.ms).toBeUndefined(); // no timer at all
    await expect(reconciler.runNow()).rejects.toThrow(/no Reconciler/);
  });
});

describe("startReconciler's wake (a mark that comes due runs it before the next tick)", () => {
  /**
   * A reconciler over a list of due marks on a clock the test moves: a run visits every mark due by its
   * start (each visit clears its mark unless told to fail it); `{ nextDueAfter }` answers the soonest mark
   * after that time, as the Lambda does.
   */
  function markedReconciler(options: { failVisits?: boolean; failRuns?: boolean } = {}) {
    let clock = Date.parse("2026-12-06T10:00:00.000Z");
    const marks: string[] = [];
    const runsAt: string[] = [];
    const timers = new Map<number, () => void>();
    const reconciler = startReconciler({
      invoke: async (event) => {
        if (event.nextDueAfter !== undefined) {
          const after = event.nextDueAfter;
          return { nextDue: marks.filter((m) => m > after).sort()[0] ?? null };
        }
        const at = new Date(clock).toISOString();
        runsAt.push(at);
        if (options.failRuns) throw new Error("table unavailable");
        const due = marks.filter((m) => m <= at);
        if (!options.failVisits) for (const m of due) marks.splice(marks.indexOf(m), 1);
        return { visited: due.length, failed: options.failVisits ? due.length : 0 };
      },
      intervalSeconds: 60,
      wakeMs: 1000,
      now: () => clock,
      onError: () => {},
      schedule: (tick, ms) => {
        timers.set(ms, tick);
        return { stop: () => timers.delete(ms) };
      },
    });
    const iso = (msFromNow: number) => new Date(clock + msFromNow).toISOString();
    return {
      reconciler,
      marks,
      runsAt,
      iso,
      advance: (ms: number) => {
        clock += ms;
      },
      tick: () => timers.get(60_000)?.(),
      /** One wake, and everything it starts, to the end. */
      wake: async () => {
        const before = runsAt.length;
        timers.get(1000)?.();
        for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
        return runsAt.length - before;
      },
    };
  }

  it("runs for a mark made since the last run once it comes due, and not before", async () => {
    const r = markedReconciler();
    r.tick();
    await waitUntil(() => r.reconciler.idle);
    r.marks.push(r.iso(1500)); // a reminder due in 1.5 s
    expect(await r.wake()).toBe(0);
    r.advance(2000);
    expect(await r.wake()).toBe(1);
    expect(r.marks).toEqual([]);
    await r.reconciler.stop();
  });

  it("runs for a mark dated before the last run began but written after it looked: a settlement reads the clock, moves the money, then writes", async () => {
    const r = markedReconciler();
    const settlementReadItsClock = r.iso(0);
    r.advance(400);
    r.tick(); // a run begins while the money moves, and finds nothing due
    await waitUntil(() => r.reconciler.idle);
    r.marks.push(settlementReadItsClock); // the settlement's write lands: its mark is due since before that run
    r.advance(1000);
    expect(await r.wake()).toBe(1); // within a second, not at the next tick a minute later
    expect(r.marks).toEqual([]);
    expect(await r.wake()).toBe(0); // nothing left: no run after it
    await r.reconciler.stop();
  });

  it("after a visit that failed, tries what it left again every few seconds, not at every wake", async () => {
    const r = markedReconciler({ failVisits: true });
    r.marks.push(r.iso(-5000));
    r.tick();
    await waitUntil(() => r.reconciler.idle);
    expect(r.runsAt).toHaveLength(1);
    r.advance(1000);
    expect(await r.wake()).toBe(0);
    r.marks.push(r.iso(500)); // a mark made since that run wakes it all the same
    r.advance(1000);
    expect(await r.wake()).toBe(1);
    expect(await r.wake()).toBe(0);
    r.advance(RETRY_FAILED_MS - 1);
    expect(await r.wake()).toBe(0);
    r.advance(1); // the last run is RETRY_FAILED_MS old: what it could not do is tried again
    expect(await r.wake()).toBe(1);
    expect(await r.wake()).toBe(0);
    await r.reconciler.stop();
  });

  it("after a run that failed, the same: marks made since wake it at once, the rest every few seconds", async () => {
    const r = markedReconciler({ failRuns: true });
    r.marks.push(r.iso(-5000));
    r.tick();
    await waitUntil(() => r.reconciler.idle);
    r.advance(1000);
    expect(await r.wake()).toBe(0);
    r.advance(RETRY_FAILED_MS);
    expect(await r.wake()).toBe(1);
    r.tick();
    await waitUntil(() => r.reconciler.idle);
    expect(r.runsAt).toHaveLength(3);
    await r.reconciler.stop();
  });
});

async function waitUntil(done: () => boolean) {
  for (let i = 0; i < 100 && !done(); i++) await new Promise((r) => setImmediate(r));
  expect(done()).toBe(true);
}

describe("POST /_local/reconcile", () => {
  async function serve(listener: ReturnType<typeof createReconcileListener>) {
    const server = createServer((req, res) => {
      void listener(req, res).then((handled) => {
        if (!handled) res.writeHead(418).end();
      });
    });
    return { base: await listen(server), close: () => closeServer(server) };
  }

  it("answers 200 with the handler's result, 500 problem when the run fails, 405 to other methods", async () => {
    let fail = false;
    const reconciler = startReconciler({
      invoke: async () => {
        if (fail) throw new TypeError("boom");
        return { checked: 2, repaired: 1 };
      },
      intervalSeconds: 3600,
      onError: () => {},
    });
    const { base, close } = await serve(createReconcileListener(reconciler));
    try {
      const ok = await fetch(`${base}/_local/reconcile`, { method: "POST" });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ checked: 2, repaired: 1 });
      fail = true;
      const failed = await fetch(`${base}/_local/reconcile`, { method: "POST" });
      expect(failed.status).toBe(500);
      expect(failed.headers.get("content-type")).toBe("application/problem+json");
      expect(await failed.json()).toMatchObject({
        code: "internal_error",
        detail: expect.stringContaining("boom"),
      });
      expect((await fetch(`${base}/_local/reconcile`)).status).toBe(405);
      expect((await fetch(`${base}/_local/other`, { method: "POST" })).status).toBe(418);
    } finally {
      await close();
      await reconciler.stop();
    }
  });

  it("answers a 404 problem while the stack has no Reconciler function", async () => {
    const reconciler = startReconciler({ intervalSeconds: 60, onError: () => {} });
    const { base, close } = await serve(createReconcileListener(reconciler));
    try {
      const res = await fetch(`${base}/_local/reconcile`, { method: "POST", body: "{}" });
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(await res.json()).toMatchObject({ status: 404, code: "not_found" });
    } finally {
      await close();
    }
  });
});

describe("ESCROW_RECONCILE_SECONDS and the model", () => {
  it("reads the period: 60 by default, a positive number otherwise", () => {
    expect(reconcileSeconds(undefined)).toBe(60);
    expect(reconcileSeconds("")).toBe(60);
    expect(reconcileSeconds("5")).toBe(5);
    expect(() => reconcileSeconds("0")).toThrow(/positive/);
    expect(() => reconcileSeconds("soon")).toThrow(/positive/);
  });

  const fnOf = (id: string, logicalId = `${id}1A2B3C4D`): LocalFunction => ({
    logicalId,
    id,
    entry: `functions/workflow/${id}.ts`,
    arn: `arn:aws:lambda:us-east-1:000000000000:function:${logicalId}`,
    environment: {},
    timeoutSeconds: 30,
    memoryMb: 256,
  });
  const model = (over: Partial<LocalModel> = {}): LocalModel => ({
    table: { logicalId: "Table", name: "escrow-local", properties: {} },
    functions: [fnOf("HoldFunds"), fnOf("Reconciler")],
    stateMachine: { arn: "arn:sm", name: "sm", definition: { States: {} }, substitutions: {} },
    topics: [
      { logicalId: "EscrowEventsTopic", arn: "arn:aws:sns:us-east-1:000000000000:EscrowEventsTopic" },
      { logicalId: "OpsAlertsTopic", arn: "arn:aws:sns:us-east-1:000000000000:OpsAlertsTopic" },
    ],
    outputs: {},
    routes: [],
    gatewayResponses: {},
    stageName: "prod",
    ...over,
  });

  it("finds the reconciler by its function id", () => {
    expect(functionById(model(), "Reconciler")?.logicalId).toBe("Reconciler1A2B3C4D");
    expect(functionById(model({ functions: [fnOf("HoldFunds")] }), "Reconciler")).toBeUndefined();
  });

  it("tells the events topic from the stack's output", () => {
    const events = "arn:aws:sns:us-east-1:000000000000:EscrowEventsTopic";
    expect(eventsTopicOf(model({ outputs: { EventsTopicArn: events } }))).toBe(events);
    expect(() => eventsTopicOf(model())).toThrow(/events topic/);
    expect(() =>
      eventsTopicOf(model({ outputs: { EventsTopicArn: "arn:aws:sns:us-east-1:0:Other" } })),
    ).toThrow(/events topic/);
  });
});
