import { UncatchableError } from "./errors";
import { isObject } from "./json";
import type { JsonObject, JsonValue } from "./types";

/**
 * Rewriting an ASL definition for aws-local-stepfunctions (pure: no engine,
 * no I/O). The engine gets every Task with a timeout it can hold (ours do the
 * real timing), `TimeoutSecondsPath`/`HeartbeatSecondsPath` carried as hidden
 * parameters so they resolve against the state's input as on AWS, and
 * `$$.Execution` pointed at a context the service fills in itself.
 */

/** TimeoutSeconds given to the engine for every Task: below 2^31-1 ms, so its single setTimeout behaves. */
export const ENGINE_TASK_TIMEOUT_SECONDS = 2_000_000;
/** AWS's default TimeoutSeconds for a Task. */
export const AWS_DEFAULT_TASK_TIMEOUT_SECONDS = 99_999_999;

const HIDDEN_TIMEOUT = "__localTimeoutSeconds";
const HIDDEN_HEARTBEAT = "__localHeartbeatSeconds";
const HIDDEN_INPUT = "__localInput";

export type TaskKind = "lambda" | "sns" | "lambda-arn";

export interface TaskSpec {
  state: string;
  kind: TaskKind;
  callback: boolean;
  resourceType: string;
  resource: string;
  timeoutSeconds?: number;
  timeoutPath?: boolean;
  heartbeatSeconds?: number;
  heartbeatPath?: boolean;
  /** Parameters were absent: the effective input travels in a hidden entry. */
  wrappedInput: boolean;
}

export interface PreparedDefinition {
  /** What the engine runs (timeouts rewritten, `$$.Execution` redirected). */
  engineDefinition: Record<string, unknown>;
  tasks: Map<string, TaskSpec>;
  topLevelStates: Set<string>;
  startAt: string;
  executionTimeoutSeconds?: number;
}

const RESOURCE = /^arn:[^:]+:states:::(lambda:invoke|sns:publish)(\.waitForTaskToken)?$/;
const LAMBDA_ARN = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:[^:]+(:[^:]+)?$/;

/**
 * Rewrites a definition for the engine. Exported for tests and tooling; the
 * service calls it itself.
 */
export function prepareDefinition(
  definition: Record<string, unknown>,
  options: { retryScale?: number } = {},
): PreparedDefinition {
  const def = structuredClone(definition) as Record<string, unknown>;
  redirectExecutionContext(def);
  if (options.retryScale !== undefined && options.retryScale !== 1) scaleRetries(def, options.retryScale);
  const executionTimeoutSeconds = typeof def.TimeoutSeconds === "number" ? def.TimeoutSeconds : undefined;
  delete def.TimeoutSeconds;
  const tasks = new Map<string, TaskSpec>();
  const states = def.States;
  if (!isObject(states) || typeof def.StartAt !== "string")
    throw new Error("definition needs StartAt and States");
  prepareStates(states, tasks, false);
  return {
    engineDefinition: def,
    tasks,
    topLevelStates: new Set(Object.keys(states)),
    startAt: def.StartAt,
    executionTimeoutSeconds,
  };
}

function prepareStates(states: Record<string, unknown>, tasks: Map<string, TaskSpec>, nested: boolean): void {
  for (const [name, state] of Object.entries(states)) {
    if (!isObject(state)) continue;
    if (state.Type === "Parallel" && Array.isArray(state.Branches))
      for (const branch of state.Branches)
        if (isObject(branch) && isObject(branch.States)) prepareStates(branch.States, tasks, true);
    if (state.Type === "Map")
      for (const key of ["ItemProcessor", "Iterator"])
        if (isObject(state[key]) && isObject((state[key] as Record<string, unknown>).States))
          prepareStates(
            (state[key] as Record<string, unknown>).States as Record<string, unknown>,
            tasks,
            true,
          );
    if (state.Type !== "Task") continue;
    if (tasks.has(name)) throw new Error(`state name ${name} is used twice`);
    tasks.set(name, prepareTask(name, state, nested));
  }
}

function prepareTask(name: string, state: Record<string, unknown>, nested: boolean): TaskSpec {
  const resource = String(state.Resource);
  let kind: TaskKind;
  let callback = false;
  let resourceType: string;
  let resourceName: string;
  const m = RESOURCE.exec(resource);
  if (m) {
    const [service, action] = (m[1] as string).split(":") as [string, string];
    kind = service === "lambda" ? "lambda" : "sns";
    callback = m[2] !== undefined;
    resourceType = service;
    resourceName = action + (m[2] ?? "");
  } else if (LAMBDA_ARN.test(resource)) {
    kind = "lambda-arn";
    resourceType = "lambda";
    resourceName = resource;
  } else {
    throw new Error(`state ${name}: the local runtime does not support the Task resource ${resource}`);
  }
  if (callback && nested)
    throw new Error(`state ${name}: callback tasks inside Parallel/Map are not supported locally`);
  const spec: TaskSpec = {
    state: name,
    kind,
    callback,
    resourceType,
    resource: resourceName,
    wrappedInput: false,
  };
  if (kind === "sns") bypassJsonToString(state);
  const hidden: Record<string, string> = {};
  if (typeof state.TimeoutSeconds === "number") spec.timeoutSeconds = state.TimeoutSeconds;
  if (typeof state.TimeoutSecondsPath === "string") {
    spec.timeoutPath = true;
    hidden[`${HIDDEN_TIMEOUT}.$`] = state.TimeoutSecondsPath;
  }
  if (typeof state.HeartbeatSeconds === "number") spec.heartbeatSeconds = state.HeartbeatSeconds;
  if (typeof state.HeartbeatSecondsPath === "string") {
    spec.heartbeatPath = true;
    hidden[`${HIDDEN_HEARTBEAT}.$`] = state.HeartbeatSecondsPath;
  }
  delete state.TimeoutSecondsPath;
  delete state.HeartbeatSeconds;
  delete state.HeartbeatSecondsPath;
  state.TimeoutSeconds = ENGINE_TASK_TIMEOUT_SECONDS;
  if (Object.keys(hidden).length > 0) {
    if (state.Parameters === undefined) {
      state.Parameters = { [`${HIDDEN_INPUT}.$`]: "$", ...hidden };
      spec.wrappedInput = true;
    } else if (isObject(state.Parameters)) {
      state.Parameters = { ...state.Parameters, ...hidden };
    } else {
      throw new Error(`state ${name}: a timeout path needs Parameters to be an object`);
    }
  }
  return spec;
}

/**
 * Multiplies the IntervalSeconds and MaxDelaySeconds (the engine takes fractions of a second) of every
 * retrier that retries without end (MaxAttempts of 1,000 or more: the workflow's transient retries). A
 * bounded retrier keeps its timing: how long it tolerates an outage before giving up is behaviour a user
 * sees (API.md: an unavailable provider is retried, then the escrow is cancelled).
 */
function scaleRetries(node: unknown, scale: number): void {
  if (Array.isArray(node)) {
    for (const item of node) scaleRetries(item, scale);
    return;
  }
  if (!isObject(node)) return;
  if (Array.isArray(node.Retry))
    for (const retrier of node.Retry) {
      if (!isObject(retrier) || typeof retrier.MaxAttempts !== "number" || retrier.MaxAttempts < 1000)
        continue;
      // AWS's default interval is 1 s: written out so that it scales too.
      retrier.IntervalSeconds =
        (typeof retrier.IntervalSeconds === "number" ? retrier.IntervalSeconds : 1) * scale;
      if (typeof retrier.MaxDelaySeconds === "number") retrier.MaxDelaySeconds *= scale;
    }
  for (const value of Object.values(node)) scaleRetries(value, scale);
}

/**
 * aws-local-stepfunctions 3.0.0 strips every backslash from an intrinsic
 * function's string result, so `States.JsonToString` corrupts any JSON whose
 * strings contain a quote or a backslash (an escrow description with a `"`).
 * For an SNS publish the `Message` is only ever a string, so
 * `"Message.$": "States.JsonToString(<path>)"` is given to the engine as
 * `"Message.$": "<path>"`, and the task stringifies it exactly (JSON.stringify):
 * the same bytes AWS publishes.
 */
function bypassJsonToString(state: Record<string, unknown>): void {
  const params = state.Parameters;
  if (!isObject(params)) return;
  const m =
    typeof params["Message.$"] === "string" &&
    /^States\.JsonToString\((\$[^,()]*)\)$/.exec(params["Message.$"]);
  if (m) params["Message.$"] = m[1] as string;
}

/**
 * The engine overwrites `$$.Execution.Input` and `$$.Execution.StartTime`
 * with the input and start of each run, which are wrong for a resumed run;
 * paths that read `$$.Execution` are pointed at `$$.LocalExecution`, which
 * holds the execution's real values.
 */
function redirectExecutionContext(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) redirectExecutionContext(item);
    return;
  }
  if (!isObject(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if (typeof value === "string" && (key.endsWith(".$") || key.endsWith("Path") || key === "Variable"))
      node[key] = value.replace(/\$\$\.Execution(?![A-Za-z0-9_])/g, "$$$$.LocalExecution");
    else redirectExecutionContext(value);
  }
}

/**
 * Takes the hidden entries back out of a task's effective parameters: the
 * parameters the task really gets, and its timeout and heartbeat in seconds
 * (from the definition, the hidden paths, or the defaults).
 */
export function readHidden(
  spec: TaskSpec,
  effective: JsonValue,
  defaultTaskTimeoutSeconds = 60,
): { params: JsonValue; timeoutSeconds: number; heartbeatSeconds?: number } {
  let params = effective;
  let timeoutSeconds =
    spec.timeoutSeconds ?? (spec.callback ? AWS_DEFAULT_TASK_TIMEOUT_SECONDS : defaultTaskTimeoutSeconds);
  let heartbeatSeconds = spec.heartbeatSeconds;
  if (spec.timeoutPath || spec.heartbeatPath) {
    const obj = { ...(effective as JsonObject) };
    if (spec.timeoutPath) timeoutSeconds = positiveInteger(obj[HIDDEN_TIMEOUT], "TimeoutSecondsPath");
    if (spec.heartbeatPath) heartbeatSeconds = positiveInteger(obj[HIDDEN_HEARTBEAT], "HeartbeatSecondsPath");
    delete obj[HIDDEN_TIMEOUT];
    delete obj[HIDDEN_HEARTBEAT];
    params = spec.wrappedInput ? (obj[HIDDEN_INPUT] as JsonValue) : obj;
  }
  return { params, timeoutSeconds, ...(heartbeatSeconds !== undefined ? { heartbeatSeconds } : {}) };
}

function positiveInteger(value: JsonValue | undefined, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1)
    throw new UncatchableError(
      "States.Runtime",
      `The value of ${what} must be a positive integer, got ${JSON.stringify(value ?? null)}`,
    );
  return value;
}
