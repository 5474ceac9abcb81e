import type { TaskSpec } from "./definition";
import { detachedError, invalidToken, taskError, taskTimedOut } from "./errors";
import { invokeTask } from "./integrations";
import { replaceInJson } from "./json";
import { decodeToken, encodeToken } from "./names-and-tokens";
import type { Attempt, Live, Runtime, Segment } from "./runtime";
import type { JsonValue, WaitRecord, WaitResult } from "./types";

/**
 * `.waitForTaskToken` (which the engine lacks): a callback Task mints a
 * token, saves the wait (token and absolute deadline) before anyone can learn
 * the token, invokes the Lambda with it and awaits SendTaskSuccess/Failure, a
 * heartbeat timeout or the deadline. A wait outlives engine runs: a resumed
 * or rolled-over run takes it over with the same token and deadline.
 */

export async function startCallbackTask(
  rt: Runtime,
  seg: Segment,
  spec: TaskSpec,
  params: JsonValue,
  timeoutSeconds: number,
  heartbeatSeconds: number | undefined,
  attempt: Attempt,
): Promise<void> {
  const exec = seg.exec;
  let wait: WaitRecord;
  const reuse = seg.resumeWait && seg.resumeWait.state === spec.state ? seg.resumeWait : undefined;
  seg.resumeWait = undefined;
  if (reuse && exec.record.wait === reuse) {
    wait = reuse;
  } else {
    const now = rt.now();
    wait = {
      state: spec.state,
      token: encodeToken(exec.record.name, spec.state),
      deadline: now + timeoutSeconds * 1000,
      ...(heartbeatSeconds !== undefined
        ? { heartbeatSeconds, heartbeatDeadline: now + heartbeatSeconds * 1000 }
        : {}),
      submitted: false,
      resourceType: spec.resourceType,
      resource: spec.resource,
    };
    if (exec.record.wait) rt.dropWait(exec);
    exec.record.wait = wait;
    rt.tokenIndex.set(wait.token, exec.record.name);
    rt.record(exec, "TaskScheduled", {
      taskScheduledEventDetails: {
        resourceType: spec.resourceType,
        resource: spec.resource,
        region: rt.region,
        parameters: JSON.stringify(replaceInJson(params, rt.placeholder, wait.token)),
        timeoutInSeconds: timeoutSeconds,
        ...(heartbeatSeconds !== undefined ? { heartbeatInSeconds: heartbeatSeconds } : {}),
      },
    });
    rt.record(exec, "TaskStarted", {
      taskStartedEventDetails: { resourceType: spec.resourceType, resource: spec.resource },
    });
    // The wait is on disk before anyone can learn its token.
    await rt.persist(exec);
    if (seg.detached) {
      attempt.reject(detachedError());
      return;
    }
  }
  attempt.token = wait.token;
  if (wait.result) {
    settleFromResult(rt, attempt, wait.result);
    return;
  }
  rt.waiters.set(wait.token, attempt);
  armWaitTimers(rt, seg, wait, attempt);
  if (!wait.submitted) {
    const withToken = replaceInJson(params, rt.placeholder, wait.token);
    invokeTask(rt, spec, withToken).then(
      (result) => {
        if (exec.record.wait !== wait || exec.record.status !== "RUNNING" || rt.closing) return;
        wait.submitted = true;
        rt.record(exec, "TaskSubmitted", {
          taskSubmittedEventDetails: {
            resourceType: spec.resourceType,
            resource: spec.resource,
            output: JSON.stringify(result),
          },
        });
        rt.schedulePersist(exec);
      },
      (error: Error) => {
        if (exec.record.wait !== wait || wait.result || rt.closing) return;
        void endWait(rt, exec, wait, { error: error.name, cause: error.message }, "TaskFailed", {
          taskFailedEventDetails: {
            resourceType: spec.resourceType,
            resource: spec.resource,
            error: error.name,
            cause: error.message,
          },
        }).catch((e) => rt.report("could not record a failed callback task", e));
      },
    );
  }
}

/** Arms the wait's deadline (or heartbeat deadline) and, for a long wait, its hand-over to a fresh run. */
export function armWaitTimers(rt: Runtime, seg: Segment, wait: WaitRecord, attempt: Attempt): void {
  const exec = seg.exec;
  for (const t of attempt.timers) t.cancel();
  attempt.timers = [];
  const due = Math.min(wait.deadline, wait.heartbeatDeadline ?? Number.POSITIVE_INFINITY);
  attempt.timers.push(
    rt.timerAt(due, () => {
      if (seg.detached || wait.result || exec.record.wait !== wait) return;
      const heartbeat = wait.heartbeatDeadline !== undefined && wait.heartbeatDeadline < wait.deadline;
      void endWait(rt, exec, wait, { error: "States.Timeout", cause: "", timedOut: true }, "TaskTimedOut", {
        taskTimedOutEventDetails: {
          resourceType: wait.resourceType,
          resource: wait.resource,
          error: heartbeat ? "States.HeartbeatTimeout" : "States.Timeout",
          cause: "",
        },
      }).catch((e) => rt.report("could not record a timeout", e));
    }),
  );
  // The engine's own task timer (ENGINE_TASK_TIMEOUT_SECONDS) started with this attempt: if the wait
  // outlasts this run's share, hand it to a fresh run before that timer can fire.
  const segmentLeft = Math.max(0, rt.maxSegmentMs - (Date.now() - attempt.startedAt));
  if (due - rt.now() > segmentLeft) {
    const handle = setTimeout(() => seg.roll(), segmentLeft);
    attempt.timers.push({ cancel: () => clearTimeout(handle) });
  }
}

export function settleFromResult(rt: Runtime, attempt: Attempt, result: WaitResult): void {
  if ("output" in result) attempt.resolve(JSON.parse(result.output) as JsonValue);
  else if (result.timedOut) attempt.reject(new rt.TimeoutError());
  else attempt.reject(taskError(result.error, result.cause));
}

/** The open wait a token belongs to, or the error AWS gives for it. */
export async function openWait(rt: Runtime, token: unknown): Promise<{ exec: Live; wait: WaitRecord }> {
  if (typeof token !== "string" || token.length === 0 || token.length > 2048)
    throw invalidToken("Invalid Token: 'taskToken' must be a string of 1 to 2048 characters");
  const name = rt.tokenIndex.get(token);
  const exec = name === undefined ? undefined : rt.live.get(name);
  const wait = exec?.record.wait;
  if (exec && wait && wait.token === token && !wait.result && exec.record.status === "RUNNING")
    return { exec, wait };
  if (name !== undefined) throw taskTimedOut();
  // Not open: a token of ours that has ended, or not a token at all?
  const decoded = decodeToken(token);
  if (decoded && rt.summaries.has(decoded.e)) {
    const record = rt.live.get(decoded.e)?.record ?? (await rt.store.read(decoded.e).catch(() => undefined));
    if (record && (record.closedTokens.includes(token) || record.wait?.token === token)) throw taskTimedOut();
  }
  throw invalidToken();
}

/** Ends a wait: records it, persists it, then lets the engine go on. */
export async function endWait(
  rt: Runtime,
  exec: Live,
  wait: WaitRecord,
  result: WaitResult,
  eventType: string,
  details: Record<string, unknown>,
): Promise<void> {
  if (wait.result) throw taskTimedOut();
  wait.result = result;
  rt.tokenIndex.delete(wait.token);
  exec.record.closedTokens.push(wait.token);
  rt.record(exec, eventType, details);
  const attempt = rt.waiters.get(wait.token);
  if (attempt) for (const t of attempt.timers) t.cancel();
  await rt.persist(exec);
  const current = rt.waiters.get(wait.token);
  if (current && !rt.closing) settleFromResult(rt, current, result);
}

/** SendTaskHeartbeat: moves the heartbeat deadline (when the state has one) and saves it. */
export async function heartbeat(rt: Runtime, exec: Live, wait: WaitRecord): Promise<void> {
  if (wait.heartbeatSeconds === undefined) return;
  wait.heartbeatDeadline = rt.now() + wait.heartbeatSeconds * 1000;
  const attempt = rt.waiters.get(wait.token);
  const seg = exec.segment;
  if (attempt && seg) armWaitTimers(rt, seg, wait, attempt);
  await rt.persist(exec);
}
