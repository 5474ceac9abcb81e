import { type LocalListener, sendJson, sendMethodNotAllowed, sendProblem, urlOf } from "./local-http";

/**
 * The reconciler locally (ARCHITECTURE.md v1.1 decision 1: "a scheduled
 * Lambda in AWS, the same code on a timer locally"): runs the stack's
 * `Reconciler` function with `{}` every `intervalSeconds`, never two runs at
 * once; a failed run is reported and the timer goes on. When the stack has no
 * such function, there is nothing to run.
 */
export interface LocalReconciler {
  /** Whether the stack has a reconciler to run. */
  readonly available: boolean;
  /** Runs it once now (after the run in progress, if any); resolves with the handler's result. */
  runNow(): Promise<unknown>;
  /** Whether no run is under way. */
  readonly idle: boolean;
  stop(): Promise<void>;
}

export function startReconciler(options: {
  /** Invokes the reconciler function; undefined when the stack has none. */
  invoke?: (event: Record<string, string>) => Promise<unknown>;
  intervalSeconds: number;
  /**
   * How often to ask the reconciler for its soonest mark made since its last
   * run (a reminder's time, a parked deadline, an owed event), to run it as
   * soon as that comes due rather than at the next tick; 0: never.
   */
  wakeMs?: number;
  onError: (error: unknown) => void;
  /** The service's clock (epoch ms; default Date.now): a mark is due when this reaches it. */
  now?: () => number;
  /** What runs the ticks (default setInterval; tests tick by hand). */
  schedule?: (tick: () => void, intervalMs: number) => { stop(): void };
}): LocalReconciler {
  const invoke = options.invoke;
  if (!invoke)
    return {
      available: false,
      runNow: () => Promise.reject(new Error("the stack has no Reconciler function")),
      idle: true,
      stop: async () => {},
    };
  let running: Promise<unknown> | undefined;
  let stopped = false;
  const now = options.now ?? Date.now;
  let lastRunAt = new Date(0).toISOString();
  // Whether the last run ended with every visit done. A write dates its mark by the time it read its clock,
  // which may be before a run began that queried before the write landed (a settlement reads the clock,
  // then moves the money, then writes): after a clean run, any mark still due is such a one, so the wake
  // looks back one interval. After a failed run or visit, it looks back only once the last run is
  // RETRY_FAILED_MS old, so that what failed is tried again every few seconds, not every wake.
  let clean = false;
  let runs = 0;
  const run = (): Promise<unknown> => {
    lastRunAt = new Date(now()).toISOString();
    clean = false;
    const mine = ++runs;
    const current = invoke({})
      .then((report) => {
        if (mine === runs) clean = failedVisits(report) === 0;
        return report;
      })
      .finally(() => {
        if (running === current) running = undefined;
      });
    running = current;
    return current;
  };
  const wakeAfter = () => {
    const ran = Date.parse(lastRunAt);
    const settled = clean || now() - ran >= Math.min(RETRY_FAILED_MS, options.intervalSeconds * 1000);
    return settled ? new Date(ran - options.intervalSeconds * 1000).toISOString() : lastRunAt;
  };
  const schedule =
    options.schedule ??
    ((tick, ms) => {
      const timer = setInterval(tick, ms);
      timer.unref();
      return { stop: () => clearInterval(timer) };
    });
  const timer = schedule(() => {
    if (running || stopped) return;
    run().catch(options.onError);
  }, options.intervalSeconds * 1000);
  // A mark made since the last run that has come due wakes the reconciler (a mark that stays due after
  // a failed run waits for the next tick, so a lasting failure is not retried every second).
  let peeking = false;
  const wake = options.wakeMs
    ? schedule(() => {
        if (running || stopped || peeking) return;
        peeking = true;
        invoke({ nextDueAfter: wakeAfter() })
          .then((answer) => {
            const next = (answer as { nextDue?: string | null } | null)?.nextDue;
            if (next && next <= new Date(now()).toISOString() && !running && !stopped) return run();
          })
          .catch(options.onError)
          .finally(() => {
            peeking = false;
          });
      }, options.wakeMs)
    : { stop() {} };
  return {
    available: true,
    get idle() {
      return running === undefined;
    },
    async runNow() {
      while (running) await running.catch(() => {});
      return run();
    },
    async stop() {
      stopped = true;
      timer.stop();
      wake.stop();
      await running?.catch(() => {});
    },
  };
}

/** After a run with a failure, how long the wake waits before it looks back for marks again. */
export const RETRY_FAILED_MS = 5_000;

/** The visits a run's report says failed (a report without the count: none known, so as many as one). */
function failedVisits(report: unknown): number {
  const failed = (report as { failed?: unknown } | null)?.failed;
  return typeof failed === "number" ? failed : 1;
}

/**
 * `POST /_local/reconcile` (no token): runs the reconciler once now and
 * answers `200` with the handler's result; `404` problem when the stack has
 * no reconciler, `500` problem when the run fails.
 */
export function createReconcileListener(
  reconciler: LocalReconciler,
  path = "/_local/reconcile",
): LocalListener {
  return async (req, res) => {
    if (urlOf(req).pathname !== path) return false;
    if (req.method !== "POST") {
      sendMethodNotAllowed(res, ["POST"]);
      return true;
    }
    req.resume(); // any body is ignored
    if (!reconciler.available) {
      sendProblem(res, 404, "not_found", "The stack has no Reconciler function (yet): nothing to run.");
      return true;
    }
    try {
      sendJson(res, 200, (await reconciler.runNow()) ?? null);
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      sendProblem(res, 500, "internal_error", `The reconciler failed: ${message}`);
    }
    return true;
  };
}

/** `ESCROW_RECONCILE_SECONDS` (API.md): a positive number of seconds, 60 when unset. */
export function reconcileSeconds(value: string | undefined): number {
  if (value === undefined || value === "") return 60;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new Error(`ESCROW_RECONCILE_SECONDS must be a positive number of seconds, got ${value}`);
  return seconds;
}
