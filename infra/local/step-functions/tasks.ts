import { readHidden, type TaskSpec } from "./definition";
import { detachedError } from "./errors";
import { invokeTask } from "./integrations";
import type { Attempt, Runtime, Segment } from "./runtime";
import { sleepImmediate, timerAt } from "./timers";
import type { JsonValue } from "./types";
import { startCallbackTask } from "./waits";

/**
 * The engine's handler for every Task state: AWS's task events in the
 * history, the timeout timed by us (the engine's is pushed out of the way),
 * callback tasks handed to waits.ts.
 */

export async function runTask(
  rt: Runtime,
  seg: Segment,
  stateName: string,
  effective: JsonValue,
): Promise<JsonValue> {
  // Let the event consumer catch up, so this task's events follow its StateEntered.
  await sleepImmediate();
  if (seg.detached) throw detachedError();
  const spec = rt.prepared.tasks.get(stateName) as TaskSpec;
  const exec = seg.exec;
  const { params, timeoutSeconds, heartbeatSeconds } = readHidden(
    spec,
    effective,
    rt.options.defaultTaskTimeoutSeconds,
  );
  const attempt = newAttempt(rt, seg);
  const promise = attempt.promise;
  try {
    if (spec.callback)
      await startCallbackTask(rt, seg, spec, params, timeoutSeconds, heartbeatSeconds, attempt);
    else startPlainTask(rt, seg, spec, params, timeoutSeconds, attempt);
  } catch (error) {
    // Only a failed write gets here: leave the execution RUNNING on disk for resume() rather than
    // let a local disk problem take a Catch branch the workflow would never take on AWS.
    if (!seg.detached)
      rt.report(`could not save execution ${exec.record.name}; it stops here until resumed`, error);
    rt.detach(seg);
    throw detachedError();
  }
  return promise;
}

function newAttempt(rt: Runtime, seg: Segment): Attempt & { promise: Promise<JsonValue> } {
  let resolve!: (v: JsonValue) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<JsonValue>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const attempt: Attempt & { promise: Promise<JsonValue> } = {
    promise,
    startedAt: Date.now(),
    timers: [],
    resolve: (v) => {
      settle();
      resolve(v);
    },
    reject: (e) => {
      settle();
      reject(e);
    },
  };
  const settle = () => {
    for (const t of attempt.timers) t.cancel();
    attempt.timers = [];
    if (seg.attempt === attempt) seg.attempt = undefined;
    if (attempt.token && rt.waiters.get(attempt.token) === attempt) rt.waiters.delete(attempt.token);
  };
  seg.attempt = attempt;
  return attempt;
}

function startPlainTask(
  rt: Runtime,
  seg: Segment,
  spec: TaskSpec,
  params: JsonValue,
  timeoutSeconds: number,
  attempt: Attempt,
): void {
  const exec = seg.exec;
  const base = { resourceType: spec.resourceType, resource: spec.resource };
  rt.record(exec, "TaskScheduled", {
    taskScheduledEventDetails: {
      ...base,
      region: rt.region,
      parameters: JSON.stringify(params),
      timeoutInSeconds: timeoutSeconds,
    },
  });
  rt.record(exec, "TaskStarted", { taskStartedEventDetails: base });
  rt.schedulePersist(exec);
  let done = false;
  // A plain task's timeout stands in for the Lambda's own: real time, however the service's clock moves.
  attempt.timers.push(
    timerAt(Date.now, Date.now() + timeoutSeconds * 1000, () => {
      if (done || seg.detached) return;
      done = true;
      rt.record(exec, "TaskTimedOut", {
        taskTimedOutEventDetails: { ...base, error: "States.Timeout", cause: "" },
      });
      rt.schedulePersist(exec);
      attempt.reject(new rt.TimeoutError());
    }),
  );
  invokeTask(rt, spec, params).then(
    (result) => {
      if (done || seg.detached) return;
      done = true;
      rt.record(exec, "TaskSucceeded", {
        taskSucceededEventDetails: { ...base, output: JSON.stringify(result) },
      });
      rt.schedulePersist(exec);
      attempt.resolve(result);
    },
    (error: Error) => {
      if (done || seg.detached) return;
      done = true;
      rt.record(exec, "TaskFailed", {
        taskFailedEventDetails: { ...base, error: error.name, cause: error.message },
      });
      rt.schedulePersist(exec);
      attempt.reject(error);
    },
  );
}
