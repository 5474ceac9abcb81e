/**
 * A local Step Functions (Standard) service for one state machine, built on
 * aws-local-stepfunctions, restart-safe, with an AWS JSON 1.0 endpoint that
 * an unmodified `@aws-sdk/client-sfn` can talk to.
 *
 * What it adds to the engine (see ARCHITECTURE.md, "Facts found while
 * probing the toolchain"):
 *
 * - `.waitForTaskToken`: the engine has no callbacks, so each callback Task
 *   is run by an override that mints an unguessable token, puts it where the
 *   definition read `$$.Task.Token` (the engine only sees a placeholder),
 *   invokes the Lambda handler with it and returns a promise that
 *   `sendTaskSuccess` / `sendTaskFailure` settle.
 * - Task timeouts as AWS does them: `TimeoutSecondsPath` is resolved against
 *   the state's input (a hidden entry is added to `Parameters`, which are
 *   resolved against the same input), the timer is ours (re-armed past
 *   Node's 24.8-day limit) and the engine's own timer is pushed out of the
 *   way. A wait longer than the engine's timer is carried across several
 *   engine runs ("segments") with the same token. A timeout raises the
 *   engine's own `States.Timeout` error class, so `States.TaskFailed`
 *   retriers leave it alone exactly as on AWS.
 * - An AWS-shaped execution history (GetExecutionHistory), including one
 *   `…StateEntered` event per billed state transition.
 * - Durability: every execution is a JSON file under `dataDir/executions`,
 *   replaced atomically. A wait (token and absolute deadline) is on disk
 *   before its Lambda runs; a SendTaskSuccess/Failure is on disk before it is
 *   acknowledged. `resume()` carries every RUNNING execution on from the
 *   state it was in, with the same token and the time left.
 *
 * Divergences from AWS worth knowing (none matters to escrow.asl.json):
 * - Tasks that were running when the process died are run again on resume
 *   (at-least-once, as with Lambda retries); retry counters restart.
 * - Wait states and retry back-off use the engine's timers: a restart
 *   restarts them, and a Wait state longer than 24.8 days fires at once.
 * - A heartbeat timeout raises `States.Timeout` (AWS: `States.HeartbeatTimeout`,
 *   which `States.Timeout` catchers also catch).
 * - Callback tasks inside Parallel/Map states are not supported; a resumed
 *   execution restarts a Parallel/Map state from its beginning.
 * - A retried state gets a second `…StateEntered` event in the history (AWS
 *   bills the retry as a transition but only logs a new TaskScheduled).
 * - `$$.State.*` is not available in the context object.
 */
import "./polyfills";

import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { StateMachine } from "aws-local-stepfunctions";
import { readBody } from "./http-body";

// ---------------------------------------------------------------------------
// Types

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
type JsonObject = { [key: string]: JsonValue };

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";

/**
 * A Lambda function run in-process: receives the invocation payload (a fresh
 * JSON copy), returns the response payload. Typed with a `never` parameter so
 * handlers declaring their own event type can be bound without a cast.
 */
export type TaskHandler = (payload: never) => Promise<unknown>;

export interface SnsPublishParams {
  TopicArn?: string;
  TargetArn?: string;
  Message: string;
  Subject?: string;
  MessageAttributes?: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
  [other: string]: unknown;
}

export type SnsPublish = (params: SnsPublishParams) => Promise<{ MessageId: string }>;

export interface LocalStepFunctionsOptions {
  /** Folder for the executions (created if missing). */
  dataDir: string;
  /** The parsed ASL definition, definition substitutions already applied. */
  definition: Record<string, unknown>;
  stateMachineArn: string;
  /** Keyed by Lambda function ARN (as `FunctionName` resolves to) or function name. */
  taskHandlers: Record<string, TaskHandler>;
  /** Backs `arn:aws:states:::sns:publish` tasks. */
  snsPublish?: SnsPublish;
  /** Clock for timestamps and deadlines (epoch ms). Defaults to `Date.now`. */
  now?: () => number;
  /** Passed to the engine: milliseconds to wait before each retry, per state (tests). */
  retryIntervalOverrides?: Record<string, number | number[]>;
  /** Passed to the engine: milliseconds a Wait state waits, per state (tests). */
  waitTimeOverrides?: Record<string, number>;
  /** Timeout of a Task without TimeoutSeconds that is not a callback (a stand-in for the Lambda timeout). Default 60. */
  defaultTaskTimeoutSeconds?: number;
  /** `$$.Execution.RoleArn` and ExecutionStarted's roleArn. */
  roleArn?: string;
  /** AWS region shown in history events. Defaults to the one in the state machine ARN. */
  region?: string;
  /**
   * Longest stretch one engine run may spend in one callback wait before it is
   * handed to a fresh run (same token, same deadline). Must stay below the
   * engine timeout given to callback states (2,000,000 s). Lower it only in tests.
   */
  maxSegmentSeconds?: number;
  /** Called with problems that have no caller to report to (a failed background write...). */
  onError?: (message: string, error: unknown) => void;
}

export interface StartExecutionInput {
  stateMachineArn?: string;
  name?: string;
  /** The execution input as a JSON text (AWS API shape). Defaults to "{}". */
  input?: string;
}

export interface ExecutionDescription {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  inputDetails: { included: boolean };
  output?: string;
  outputDetails?: { included: boolean };
  error?: string;
  cause?: string;
  redriveCount: number;
  redriveStatus: "NOT_REDRIVABLE";
}

export interface ExecutionListItem {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  redriveCount: number;
}

/** A history event as GetExecutionHistory returns it (details keyed like the AWS API). */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  [details: string]: unknown;
}

/** The persisted form of a history event (timestamp in epoch ms). */
interface StoredEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

type WaitResult = { output: string } | { error: string; cause: string; timedOut?: boolean };

interface WaitRecord {
  state: string;
  token: string;
  /** Absolute deadline, epoch ms. */
  deadline: number;
  heartbeatSeconds?: number;
  /** Absolute heartbeat deadline, epoch ms. */
  heartbeatDeadline?: number;
  /** The handler (Lambda / SNS publish) that hands the token out has returned. */
  submitted: boolean;
  resourceType: string;
  resource: string;
  /** Set (and persisted) once the wait has ended; a resumed run just replays it. */
  result?: WaitResult;
}

interface ExecutionRecord {
  formatVersion: 1;
  name: string;
  executionArn: string;
  stateMachineArn: string;
  input: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  history: StoredEvent[];
  /** Billed state transitions so far (= `…StateEntered` events). */
  transitions: number;
  /** RUNNING only: the top-level state the execution is in and that state's raw input. */
  current?: { state: string; input: JsonValue };
  /** RUNNING only: the callback wait of the current state. */
  wait?: WaitRecord;
  /** Tokens whose wait is over (a late signal gets TaskTimedOut, not InvalidToken). */
  closedTokens: string[];
}

interface Summary {
  name: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
}

// ---------------------------------------------------------------------------
// Errors

/** An error of the Step Functions API; `code` is the exception name the SDK raises. */
export class SfnServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = code;
  }
}

const invalidToken = (m = "Invalid Token") => new SfnServiceError("InvalidToken", m);
const taskTimedOut = () =>
  new SfnServiceError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'");
const executionDoesNotExist = (arn: string) =>
  new SfnServiceError("ExecutionDoesNotExist", `Execution Does Not Exist: '${arn}'`);
const validation = (m: string) => new SfnServiceError("ValidationException", m);

/** An error that Retry/Catch never match: the run ends (States.Runtime, or our own detach). */
class UncatchableError extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

const detachedError = () => new UncatchableError("Local.Detached", "this engine run was detached");

function taskError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}

/** The error a throwing Lambda handler surfaces as, shaped like Lambda's (Error = errorType, Cause = JSON). */
function lambdaError(thrown: unknown): Error {
  const errorType =
    thrown instanceof Error ? thrown.name || "Error" : typeof thrown === "string" ? "string" : "Error";
  const errorMessage = thrown instanceof Error ? thrown.message : String(thrown);
  const trace = thrown instanceof Error && thrown.stack ? thrown.stack.split("\n") : [];
  return taskError(errorType, JSON.stringify({ errorType, errorMessage, trace }));
}

let timeoutErrorClass: Promise<new () => Error> | undefined;

/**
 * The engine's `StatesTimeoutError` class, which it does not export. Retriers
 * on `States.TaskFailed` skip an error only when it is an instance of that
 * class (as AWS does for timeouts), so our timeouts must be real instances.
 * Obtained once by letting a 1 ms task time out.
 */
function statesTimeoutErrorClass(): Promise<new () => Error> {
  timeoutErrorClass ??= (async () => {
    const probe = new StateMachine(
      {
        StartAt: "Probe",
        States: {
          Probe: {
            Type: "Task",
            Resource: "arn:aws:lambda:us-east-1:000000000000:function:probe",
            End: true,
          },
        },
      } as never,
      { validationOptions: { noValidate: true } },
    );
    // TimeoutSeconds is only read at run time; 0.001 s makes the probe time out after 1 ms.
    (
      probe as unknown as { definition: { States: { Probe: Record<string, unknown> } } }
    ).definition.States.Probe.TimeoutSeconds = 0.001;
    const { result } = probe.run(
      {},
      { overrides: { taskResourceLocalHandlers: { Probe: () => new Promise(() => {}) } } },
    );
    try {
      await result;
    } catch (error) {
      const cause = (error as Error).cause;
      if (cause instanceof Error && cause.name === "States.Timeout")
        return cause.constructor as new () => Error;
    }
    throw new Error("aws-local-stepfunctions: could not obtain its States.Timeout error class");
  })();
  return timeoutErrorClass;
}

// ---------------------------------------------------------------------------
// Definition preparation

/** TimeoutSeconds given to the engine for every Task: below 2^31-1 ms, so its single setTimeout behaves. */
export const ENGINE_TASK_TIMEOUT_SECONDS = 2_000_000;
const DEFAULT_MAX_SEGMENT_SECONDS = 1_900_000;
/** AWS's default TimeoutSeconds for a Task. */
const AWS_DEFAULT_TASK_TIMEOUT_SECONDS = 99_999_999;
/** Longest single setTimeout we ever arm (24 days); longer waits re-arm. */
const MAX_TIMER_MS = 24 * 24 * 3600 * 1000;

const HIDDEN_TIMEOUT = "__localTimeoutSeconds";
const HIDDEN_HEARTBEAT = "__localHeartbeatSeconds";
const HIDDEN_INPUT = "__localInput";

type TaskKind = "lambda" | "sns" | "lambda-arn";

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

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Rewrites a definition for the engine. Exported for tests and tooling; the
 * service calls it itself.
 */
export function prepareDefinition(definition: Record<string, unknown>): PreparedDefinition {
  const def = structuredClone(definition) as Record<string, unknown>;
  redirectExecutionContext(def);
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
 * aws-local-stepfunctions 3.0.0 strips every backslash from an intrinsic
 * function's string result, so `States.JsonToString` corrupts any JSON whose
 * strings contain a quote or a backslash (an escrow description with a `"`).
 * For an SNS publish the `Message` is only ever a string, so
 * `"Message.$": "States.JsonToString(<path>)"` is given to the engine as
 * `"Message.$": "<path>"`, and `invoke` stringifies it exactly (JSON.stringify):
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

// ---------------------------------------------------------------------------
// Small helpers

const sleepImmediate = () => new Promise<void>((resolve) => setImmediate(resolve));

function replaceInJson(value: JsonValue, search: string, replacement: string): JsonValue {
  if (typeof value === "string")
    return value.includes(search) ? value.split(search).join(replacement) : value;
  if (Array.isArray(value)) return value.map((v) => replaceInJson(v, search, replacement));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, replaceInJson(v, search, replacement)]),
    );
  return value;
}

function toJson(value: unknown): JsonValue {
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as JsonValue);
}

/** A timer that fires at an absolute time of `now()`, however far away (re-arms past 24 days). */
function timerAt(now: () => number, at: number, fire: () => void): { cancel(): void } {
  let handle: NodeJS.Timeout | undefined;
  let cancelled = false;
  const tick = () => {
    if (cancelled) return;
    const delay = at - now();
    if (delay <= 0) fire();
    else handle = setTimeout(tick, Math.min(delay, MAX_TIMER_MS));
  };
  handle = setTimeout(tick, Math.max(0, Math.min(at - now(), MAX_TIMER_MS)));
  return {
    cancel() {
      cancelled = true;
      clearTimeout(handle);
    },
  };
}

// Execution names: 1-80 characters, none of whitespace, brackets, wildcards, some punctuation, control characters.
const INVALID_NAME_CHARS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
const isControl = (c: number) => c <= 0x1f || (c >= 0x7f && c <= 0x9f);

export const isValidExecutionName = (name: string) =>
  name.length >= 1 &&
  name.length <= 80 &&
  !INVALID_NAME_CHARS.test(name) &&
  ![...name].some((ch) => isControl(ch.codePointAt(0) as number));

const MAX_PAYLOAD_BYTES = 256 * 1024;

function parseJsonText(text: string, code: string, what: string): JsonValue {
  if (Buffer.byteLength(text, "utf8") > MAX_PAYLOAD_BYTES)
    throw new SfnServiceError(code, `${what} exceeds the maximum size of ${MAX_PAYLOAD_BYTES} bytes`);
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw new SfnServiceError(code, `Invalid ${what}: not valid JSON`);
  }
}

const encodeToken = (execution: string, state: string) =>
  Buffer.from(
    JSON.stringify({ v: 1, e: execution, s: state, n: randomBytes(32).toString("base64url") }),
  ).toString("base64url");

function decodeToken(token: string): { e: string; s: string } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as unknown;
    if (isObject(parsed) && typeof parsed.e === "string" && typeof parsed.s === "string")
      return { e: parsed.e, s: parsed.s };
  } catch {
    // not one of ours
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// The service

interface Attempt {
  /** Real time (Date.now) the engine started this task, and with it its own task timer. */
  startedAt: number;
  resolve(value: JsonValue): void;
  reject(error: Error): void;
  timers: Array<{ cancel(): void }>;
  token?: string;
}

interface Segment {
  exec: Live;
  run?: { abort: () => void };
  startAt: string;
  detached: boolean;
  /** The first StateEntered of a resumed run repeats one already recorded. */
  skipFirstEnter: boolean;
  /** A wait to take over (same token) when the start state's task runs. */
  resumeWait?: WaitRecord;
  attempt?: Attempt;
}

interface Live {
  record: ExecutionRecord;
  segment?: Segment;
  executionTimer?: { cancel(): void };
  /** Persisted once: the idempotent re-start waits for it. */
  started: Promise<void>;
  writing?: Promise<void>;
  dirty: boolean;
  persistWaiters: Array<{ resolve(): void; reject(e: Error): void }>;
}

type Run = ReturnType<StateMachine["run"]>;
type EngineEvent = Run["eventLogs"] extends AsyncGenerator<infer E> ? E : never;

export class LocalStepFunctions {
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  private readonly executionArnPrefix: string;
  private readonly region: string;
  private readonly dir: string;
  private readonly prepared: PreparedDefinition;
  private readonly machines = new Map<string, StateMachine>();
  private readonly now: () => number;
  private readonly placeholder = `__LOCAL_SFN_TASK_TOKEN_${randomBytes(12).toString("hex")}__`;
  private readonly maxSegmentMs: number;
  private readonly summaries = new Map<string, Summary>();
  private readonly live = new Map<string, Live>();
  /** Open waits: token → execution name. */
  private readonly tokenIndex = new Map<string, string>();
  /** Attempts currently awaiting a token: token → attempt. */
  private readonly waiters = new Map<string, Attempt>();
  private readonly ready: Promise<void>;
  private TimeoutError!: new () => Error;
  private closing = false;
  private closed = false;
  private writeCounter = 0;

  constructor(private readonly options: LocalStepFunctionsOptions) {
    this.stateMachineArn = options.stateMachineArn;
    const arn = /^arn:([^:]+):states:([^:]*):([^:]*):stateMachine:([^:]+)$/.exec(options.stateMachineArn);
    if (!arn) throw new Error(`not a state machine ARN: ${options.stateMachineArn}`);
    this.stateMachineName = arn[4] as string;
    this.region = options.region ?? (arn[2] as string);
    this.executionArnPrefix = `arn:${arn[1]}:states:${arn[2]}:${arn[3]}:execution:${arn[4]}:`;
    this.dir = join(options.dataDir, "executions");
    this.now = options.now ?? Date.now;
    this.maxSegmentMs = (options.maxSegmentSeconds ?? DEFAULT_MAX_SEGMENT_SECONDS) * 1000;
    if (this.maxSegmentMs >= ENGINE_TASK_TIMEOUT_SECONDS * 1000)
      throw new Error("maxSegmentSeconds is too large");
    // Validate the definition as written (throws with the validator's messages).
    new StateMachine(options.definition as never);
    this.prepared = prepareDefinition(options.definition);
    for (const spec of this.prepared.tasks.values())
      if (spec.kind === "sns" && !options.snsPublish)
        throw new Error(`state ${spec.state} publishes to SNS but no snsPublish was given`);
    this.ready = this.init();
    // Surface init failures on first use, not as unhandled rejections.
    this.ready.catch(() => {});
  }

  // ----- public API --------------------------------------------------------

  async startExecution(request: StartExecutionInput): Promise<{ executionArn: string; startDate: Date }> {
    await this.open();
    if (request.stateMachineArn !== undefined && request.stateMachineArn !== this.stateMachineArn)
      throw new SfnServiceError(
        "StateMachineDoesNotExist",
        `State Machine Does Not Exist: '${request.stateMachineArn}'`,
      );
    const name = request.name ?? randomUUID();
    if (!isValidExecutionName(name)) throw new SfnServiceError("InvalidName", `Invalid Name: '${name}'`);
    const inputText = request.input ?? "{}";
    const input = parseJsonText(inputText, "InvalidExecutionInput", "execution input");
    const executionArn = this.executionArnPrefix + name;
    const existing = this.summaries.get(name);
    if (existing) {
      const running = this.live.get(name);
      if (existing.status === "RUNNING" && running && sameJson(running.record.input, inputText)) {
        await running.started;
        return { executionArn, startDate: new Date(existing.startDate) };
      }
      throw new SfnServiceError("ExecutionAlreadyExists", `Execution Already Exists: '${executionArn}'`);
    }
    const startDate = this.now();
    const record: ExecutionRecord = {
      formatVersion: 1,
      name,
      executionArn,
      stateMachineArn: this.stateMachineArn,
      input: inputText,
      status: "RUNNING",
      startDate,
      history: [],
      transitions: 0,
      closedTokens: [],
    };
    const exec = this.addLive(record);
    this.summaries.set(name, { name, status: "RUNNING", startDate });
    this.record(exec, "ExecutionStarted", {
      executionStartedEventDetails: {
        input: inputText,
        inputDetails: { truncated: false },
        roleArn: this.roleArn,
      },
    });
    exec.started = this.persist(exec);
    try {
      await exec.started;
    } catch (error) {
      this.live.delete(name);
      this.summaries.delete(name);
      throw error;
    }
    this.armExecutionTimeout(exec);
    this.startSegment(exec, this.prepared.startAt, input, false);
    return { executionArn, startDate: new Date(startDate) };
  }

  async sendTaskSuccess(taskToken: string, output: string): Promise<void> {
    await this.open();
    const { exec, wait } = await this.openWait(taskToken);
    parseJsonText(output, "InvalidOutput", "output");
    await this.endWait(exec, wait, { output }, "TaskSucceeded", {
      taskSucceededEventDetails: { resourceType: wait.resourceType, resource: wait.resource, output },
    });
  }

  async sendTaskFailure(taskToken: string, error?: string, cause?: string): Promise<void> {
    await this.open();
    const { exec, wait } = await this.openWait(taskToken);
    const e = error ?? "";
    const c = cause ?? "";
    await this.endWait(exec, wait, { error: e, cause: c }, "TaskFailed", {
      taskFailedEventDetails: {
        resourceType: wait.resourceType,
        resource: wait.resource,
        error: e,
        cause: c,
      },
    });
  }

  async sendTaskHeartbeat(taskToken: string): Promise<void> {
    await this.open();
    const { exec, wait } = await this.openWait(taskToken);
    if (wait.heartbeatSeconds !== undefined) {
      wait.heartbeatDeadline = this.now() + wait.heartbeatSeconds * 1000;
      const attempt = this.waiters.get(taskToken);
      const seg = exec.segment;
      if (attempt && seg) this.armWaitTimers(seg, exec, wait, attempt);
      await this.persist(exec);
    }
  }

  async describeExecution(executionArn: string): Promise<ExecutionDescription> {
    await this.open();
    const r = await this.load(executionArn);
    return {
      executionArn: r.executionArn,
      stateMachineArn: r.stateMachineArn,
      name: r.name,
      status: r.status,
      startDate: new Date(r.startDate),
      ...(r.stopDate !== undefined ? { stopDate: new Date(r.stopDate) } : {}),
      input: r.input,
      inputDetails: { included: true },
      ...(r.output !== undefined ? { output: r.output, outputDetails: { included: true } } : {}),
      ...(r.error !== undefined ? { error: r.error } : {}),
      ...(r.cause !== undefined ? { cause: r.cause } : {}),
      redriveCount: 0,
      redriveStatus: "NOT_REDRIVABLE",
    };
  }

  async getExecutionHistory(
    executionArn: string,
    options: {
      maxResults?: number;
      reverseOrder?: boolean;
      nextToken?: string;
      includeExecutionData?: boolean;
    } = {},
  ): Promise<{ events: HistoryEvent[]; nextToken?: string }> {
    await this.open();
    const r = await this.load(executionArn);
    let events = r.history.map((e) => ({ ...e, timestamp: new Date(e.timestamp) }) as HistoryEvent);
    if (options.reverseOrder) events = events.reverse();
    if (options.includeExecutionData === false) events = events.map(stripExecutionData);
    return paginate(events, options.maxResults, options.nextToken, "events");
  }

  async listExecutions(
    options: {
      stateMachineArn?: string;
      statusFilter?: ExecutionStatus;
      maxResults?: number;
      nextToken?: string;
    } = {},
  ): Promise<{ executions: ExecutionListItem[]; nextToken?: string }> {
    await this.open();
    if (options.stateMachineArn !== undefined && options.stateMachineArn !== this.stateMachineArn)
      throw new SfnServiceError(
        "StateMachineDoesNotExist",
        `State Machine Does Not Exist: '${options.stateMachineArn}'`,
      );
    const items = [...this.summaries.values()]
      .filter((s) => !options.statusFilter || s.status === options.statusFilter)
      .sort((a, b) => b.startDate - a.startDate || (a.name < b.name ? -1 : 1))
      .map(
        (s): ExecutionListItem => ({
          executionArn: this.executionArnPrefix + s.name,
          stateMachineArn: this.stateMachineArn,
          name: s.name,
          status: s.status,
          startDate: new Date(s.startDate),
          ...(s.stopDate !== undefined ? { stopDate: new Date(s.stopDate) } : {}),
          redriveCount: 0,
        }),
      );
    const page = paginate(items, options.maxResults, options.nextToken, "executions");
    return page;
  }

  async stopExecution(executionArn: string, error?: string, cause?: string): Promise<{ stopDate: Date }> {
    await this.open();
    const name = this.nameOf(executionArn);
    const exec = this.live.get(name);
    if (exec?.record.status !== "RUNNING") {
      const r = await this.load(executionArn);
      return { stopDate: new Date(r.stopDate ?? this.now()) };
    }
    await this.finish(exec, "ABORTED", {
      type: "ExecutionAborted",
      details: {
        executionAbortedEventDetails: {
          ...(error !== undefined ? { error } : {}),
          ...(cause !== undefined ? { cause } : {}),
        },
      },
      error,
      cause,
    });
    return { stopDate: new Date(exec.record.stopDate ?? this.now()) };
  }

  describeStateMachine(): {
    stateMachineArn: string;
    name: string;
    status: "ACTIVE";
    definition: string;
    roleArn: string;
    type: "STANDARD";
    creationDate: Date;
  } {
    return {
      stateMachineArn: this.stateMachineArn,
      name: this.stateMachineName,
      status: "ACTIVE",
      definition: JSON.stringify(this.options.definition),
      roleArn: this.roleArn,
      type: "STANDARD",
      creationDate: new Date(0),
    };
  }

  /**
   * Carries on every RUNNING execution found on disk (call once at start-up):
   * from the state it was in, with that state's input; a callback wait keeps
   * its token and its absolute deadline (a passed deadline times out at once).
   * Returns the names of the executions resumed.
   */
  async resume(): Promise<string[]> {
    await this.open();
    const resumed: string[] = [];
    for (const exec of this.live.values()) {
      if (exec.record.status !== "RUNNING" || exec.segment) continue;
      resumed.push(exec.record.name);
      this.armExecutionTimeout(exec);
      const current = exec.record.current;
      if (!current) {
        this.startSegment(exec, this.prepared.startAt, JSON.parse(exec.record.input) as JsonValue, false);
      } else {
        if (exec.record.wait && exec.record.wait.state !== current.state) this.dropWait(exec);
        this.startSegment(exec, current.state, current.input, true);
      }
    }
    return resumed;
  }

  /**
   * Stops all work without finishing anything: running executions stay
   * RUNNING on disk, open waits stay open (as after a kill, but with pending
   * writes flushed). A new service on the same dataDir can `resume()` them.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.ready.catch(() => {});
    for (const exec of this.live.values()) {
      if (exec.segment) this.detach(exec.segment);
      exec.executionTimer?.cancel();
    }
    // Writes may start while earlier ones finish: wait until none is in flight, then refuse new ones
    // (a late write must never land on a file the next service on this dataDir has written).
    for (;;) {
      const writing = [...this.live.values()].flatMap((exec) => (exec.writing ? [exec.writing] : []));
      if (writing.length === 0) break;
      await Promise.all(writing.map((w) => w.catch(() => {})));
    }
    this.closed = true;
  }

  /** Billed state transitions of an execution so far (its `…StateEntered` events). */
  async stateTransitions(executionArn: string): Promise<number> {
    await this.open();
    return (await this.load(executionArn)).transitions;
  }

  // ----- engine runs -------------------------------------------------------

  private get roleArn(): string {
    if (this.options.roleArn) return this.options.roleArn;
    const [, partition, , , account] = this.stateMachineArn.split(":");
    return `arn:${partition}:iam::${account}:role/local-step-functions`;
  }

  private machineFor(startAt: string): StateMachine {
    let machine = this.machines.get(startAt);
    if (!machine) {
      machine = new StateMachine({ ...this.prepared.engineDefinition, StartAt: startAt } as never, {
        validationOptions: { noValidate: true },
      });
      this.machines.set(startAt, machine);
    }
    return machine;
  }

  private startSegment(exec: Live, startAt: string, input: JsonValue, resumed: boolean): void {
    if (this.closing) return;
    const seg: Segment = { exec, startAt, detached: false, skipFirstEnter: resumed };
    if (resumed && exec.record.wait?.state === startAt) seg.resumeWait = exec.record.wait;
    exec.segment = seg;
    const r = exec.record;
    const execution = {
      Id: r.executionArn,
      Name: r.name,
      RoleArn: this.roleArn,
      StartTime: new Date(r.startDate).toISOString(),
      Input: JSON.parse(r.input) as JsonValue,
      RedriveCount: 0,
    };
    const handlers: Record<string, (input: JsonValue) => Promise<JsonValue>> = {};
    for (const name of this.prepared.tasks.keys())
      handlers[name] = (effective) => this.runTask(seg, name, effective);
    const run = this.machineFor(startAt).run(input as never, {
      noThrowOnAbort: true,
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        ...(this.options.retryIntervalOverrides
          ? { retryIntervalOverrides: this.options.retryIntervalOverrides }
          : {}),
        ...(this.options.waitTimeOverrides ? { waitTimeOverrides: this.options.waitTimeOverrides } : {}),
      },
      context: {
        Execution: execution,
        LocalExecution: execution,
        StateMachine: { Id: this.stateMachineArn, Name: this.stateMachineName },
        Task: { Token: this.placeholder },
      } as never,
    });
    seg.run = run;
    // Outcomes arrive as events (in order with the rest of the history); the promise only needs handling.
    run.result.catch(() => {});
    void this.consume(seg, run.eventLogs);
  }

  private async consume(seg: Segment, events: AsyncGenerator<EngineEvent>): Promise<void> {
    try {
      for await (const event of events) {
        if (seg.detached) return;
        this.onEngineEvent(seg, event);
      }
    } catch (error) {
      this.report("event stream failed", error);
    }
  }

  private onEngineEvent(seg: Segment, event: EngineEvent): void {
    const exec = seg.exec;
    switch (event.type) {
      case "StateEntered": {
        const { name, type, input } = event.state;
        if (seg.skipFirstEnter && name === seg.startAt) {
          seg.skipFirstEnter = false;
          return;
        }
        seg.skipFirstEnter = false;
        this.recordEntered(exec, type, name, input as JsonValue);
        if (this.prepared.topLevelStates.has(name) && event.index === undefined) {
          exec.record.current = { state: name, input: input as JsonValue };
          if (exec.record.wait) this.dropWait(exec);
        }
        this.schedulePersist(exec);
        return;
      }
      case "StateExited": {
        const { name, type, output } = event.state;
        this.record(exec, `${type}StateExited`, {
          stateExitedEventDetails: {
            name,
            output: JSON.stringify(output ?? null),
            outputDetails: { truncated: false },
          },
        });
        this.schedulePersist(exec);
        return;
      }
      case "StateRetried": {
        // AWS bills a retry as a state transition.
        const { name, type, input } = event.state;
        this.recordEntered(exec, type, name, input as JsonValue);
        if (exec.record.wait?.state === name) this.dropWait(exec);
        this.schedulePersist(exec);
        return;
      }
      case "ExecutionSucceeded":
        void this.finish(exec, "SUCCEEDED", {
          type: "ExecutionSucceeded",
          details: {
            executionSucceededEventDetails: {
              output: JSON.stringify(event.output ?? null),
              outputDetails: { truncated: false },
            },
          },
          output: JSON.stringify(event.output ?? null),
        }).catch((e) => this.report("could not record the end of an execution", e));
        return;
      case "ExecutionFailed": {
        const error = String(event.Error);
        const cause = typeof event.Cause === "string" ? event.Cause : JSON.stringify(event.Cause ?? null);
        void this.finish(exec, "FAILED", {
          type: "ExecutionFailed",
          details: { executionFailedEventDetails: { error, cause } },
          error,
          cause,
        }).catch((e) => this.report("could not record the end of an execution", e));
        return;
      }
      default:
        // ExecutionStarted (recorded by startExecution), StateFailed/StateCaught (the task events say it),
        // ExecutionAborted (we only abort runs we detached), Map/Parallel bookkeeping.
        return;
    }
  }

  private recordEntered(exec: Live, type: string, name: string, input: JsonValue): void {
    exec.record.transitions += 1;
    this.record(exec, `${type}StateEntered`, {
      stateEnteredEventDetails: {
        name,
        input: JSON.stringify(input ?? null),
        inputDetails: { truncated: false },
      },
    });
  }

  private detach(seg: Segment): void {
    if (seg.detached) return;
    seg.detached = true;
    const attempt = seg.attempt;
    seg.attempt = undefined;
    if (attempt) {
      for (const t of attempt.timers) t.cancel();
      if (attempt.token && this.waiters.get(attempt.token) === attempt) this.waiters.delete(attempt.token);
      attempt.reject(detachedError());
    }
    seg.run?.abort();
    if (seg.exec.segment === seg) seg.exec.segment = undefined;
  }

  /** Hands a long wait to a fresh engine run before the engine's own task timer could fire. */
  private roll(seg: Segment): void {
    const exec = seg.exec;
    if (seg.detached || this.closing || exec.record.status !== "RUNNING") return;
    const current = exec.record.current;
    if (!current) return;
    this.detach(seg);
    this.startSegment(exec, current.state, current.input, true);
  }

  // ----- tasks -------------------------------------------------------------

  private async runTask(seg: Segment, stateName: string, effective: JsonValue): Promise<JsonValue> {
    // Let the event consumer catch up, so this task's events follow its StateEntered.
    await sleepImmediate();
    if (seg.detached) throw detachedError();
    const spec = this.prepared.tasks.get(stateName) as TaskSpec;
    const exec = seg.exec;
    const { params, timeoutSeconds, heartbeatSeconds } = this.readHidden(spec, effective);
    const attempt = this.newAttempt(seg);
    const promise = attempt.promise;
    try {
      if (spec.callback)
        await this.startCallbackTask(seg, exec, spec, params, timeoutSeconds, heartbeatSeconds, attempt);
      else this.startPlainTask(seg, exec, spec, params, timeoutSeconds, attempt);
    } catch (error) {
      // Only a failed write gets here: leave the execution RUNNING on disk for resume() rather than
      // let a local disk problem take a Catch branch the workflow would never take on AWS.
      if (!seg.detached)
        this.report(`could not save execution ${exec.record.name}; it stops here until resumed`, error);
      this.detach(seg);
      throw detachedError();
    }
    return promise;
  }

  private newAttempt(seg: Segment): Attempt & { promise: Promise<JsonValue> } {
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
      if (attempt.token && this.waiters.get(attempt.token) === attempt) this.waiters.delete(attempt.token);
    };
    seg.attempt = attempt;
    return attempt;
  }

  private readHidden(
    spec: TaskSpec,
    effective: JsonValue,
  ): { params: JsonValue; timeoutSeconds: number; heartbeatSeconds?: number } {
    let params = effective;
    let timeoutSeconds =
      spec.timeoutSeconds ??
      (spec.callback ? AWS_DEFAULT_TASK_TIMEOUT_SECONDS : (this.options.defaultTaskTimeoutSeconds ?? 60));
    let heartbeatSeconds = spec.heartbeatSeconds;
    if (spec.timeoutPath || spec.heartbeatPath) {
      const obj = { ...(effective as JsonObject) };
      if (spec.timeoutPath) timeoutSeconds = positiveInteger(obj[HIDDEN_TIMEOUT], "TimeoutSecondsPath");
      if (spec.heartbeatPath)
        heartbeatSeconds = positiveInteger(obj[HIDDEN_HEARTBEAT], "HeartbeatSecondsPath");
      delete obj[HIDDEN_TIMEOUT];
      delete obj[HIDDEN_HEARTBEAT];
      params = spec.wrappedInput ? (obj[HIDDEN_INPUT] as JsonValue) : obj;
    }
    return { params, timeoutSeconds, ...(heartbeatSeconds !== undefined ? { heartbeatSeconds } : {}) };
  }

  /** Runs the task's action: Lambda handler or SNS publish. Resolves with the task result. */
  private async invoke(spec: TaskSpec, params: JsonValue): Promise<JsonValue> {
    if (spec.kind === "sns") {
      const p = { ...(params as JsonObject) };
      if (p.Message !== undefined && typeof p.Message !== "string") p.Message = JSON.stringify(p.Message);
      const publish = this.options.snsPublish as SnsPublish;
      try {
        const out = await publish(p as unknown as SnsPublishParams);
        return toJson({ MessageId: out.MessageId });
      } catch (error) {
        const name = error instanceof Error ? error.name : "Error";
        throw taskError(
          name.startsWith("SNS.") ? name : `SNS.${name === "Error" ? "SnsException" : name}`,
          String((error as Error)?.message ?? error),
        );
      }
    }
    const functionName =
      spec.kind === "lambda-arn" ? spec.resource : String((params as JsonObject)?.FunctionName ?? "");
    const handler = this.findHandler(functionName);
    if (!handler)
      throw taskError(
        "Lambda.ResourceNotFoundException",
        `Function not found: ${functionName} (no local handler is bound to it)`,
      );
    const payload = spec.kind === "lambda-arn" ? params : ((params as JsonObject).Payload ?? {});
    let result: unknown;
    try {
      result = await handler(structuredClone(payload) as never);
    } catch (error) {
      throw lambdaError(error);
    }
    const json = toJson(result);
    return spec.kind === "lambda-arn" ? json : { ExecutedVersion: "$LATEST", Payload: json, StatusCode: 200 };
  }

  private findHandler(functionName: string): TaskHandler | undefined {
    const handlers = this.options.taskHandlers;
    if (handlers[functionName]) return handlers[functionName];
    const arn = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$/.exec(functionName);
    if (arn && handlers[arn[1] as string]) return handlers[arn[1] as string];
    for (const [key, handler] of Object.entries(handlers)) {
      const k = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$/.exec(key);
      if (k && (k[1] === functionName || k[1] === arn?.[1])) return handler;
    }
    return undefined;
  }

  private startPlainTask(
    seg: Segment,
    exec: Live,
    spec: TaskSpec,
    params: JsonValue,
    timeoutSeconds: number,
    attempt: Attempt,
  ): void {
    const base = { resourceType: spec.resourceType, resource: spec.resource };
    this.record(exec, "TaskScheduled", {
      taskScheduledEventDetails: {
        ...base,
        region: this.region,
        parameters: JSON.stringify(params),
        timeoutInSeconds: timeoutSeconds,
      },
    });
    this.record(exec, "TaskStarted", { taskStartedEventDetails: base });
    this.schedulePersist(exec);
    let done = false;
    attempt.timers.push(
      timerAt(this.now, this.now() + timeoutSeconds * 1000, () => {
        if (done || seg.detached) return;
        done = true;
        this.record(exec, "TaskTimedOut", {
          taskTimedOutEventDetails: { ...base, error: "States.Timeout", cause: "" },
        });
        this.schedulePersist(exec);
        attempt.reject(new this.TimeoutError());
      }),
    );
    this.invoke(spec, params).then(
      (result) => {
        if (done || seg.detached) return;
        done = true;
        this.record(exec, "TaskSucceeded", {
          taskSucceededEventDetails: { ...base, output: JSON.stringify(result) },
        });
        this.schedulePersist(exec);
        attempt.resolve(result);
      },
      (error: Error) => {
        if (done || seg.detached) return;
        done = true;
        this.record(exec, "TaskFailed", {
          taskFailedEventDetails: { ...base, error: error.name, cause: error.message },
        });
        this.schedulePersist(exec);
        attempt.reject(error);
      },
    );
  }

  private async startCallbackTask(
    seg: Segment,
    exec: Live,
    spec: TaskSpec,
    params: JsonValue,
    timeoutSeconds: number,
    heartbeatSeconds: number | undefined,
    attempt: Attempt,
  ): Promise<void> {
    let wait: WaitRecord;
    const reuse = seg.resumeWait && seg.resumeWait.state === spec.state ? seg.resumeWait : undefined;
    seg.resumeWait = undefined;
    if (reuse && exec.record.wait === reuse) {
      wait = reuse;
    } else {
      const now = this.now();
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
      if (exec.record.wait) this.dropWait(exec);
      exec.record.wait = wait;
      this.tokenIndex.set(wait.token, exec.record.name);
      this.record(exec, "TaskScheduled", {
        taskScheduledEventDetails: {
          resourceType: spec.resourceType,
          resource: spec.resource,
          region: this.region,
          parameters: JSON.stringify(replaceInJson(params, this.placeholder, wait.token)),
          timeoutInSeconds: timeoutSeconds,
          ...(heartbeatSeconds !== undefined ? { heartbeatInSeconds: heartbeatSeconds } : {}),
        },
      });
      this.record(exec, "TaskStarted", {
        taskStartedEventDetails: { resourceType: spec.resourceType, resource: spec.resource },
      });
      // The wait is on disk before anyone can learn its token.
      await this.persist(exec);
      if (seg.detached) {
        attempt.reject(detachedError());
        return;
      }
    }
    attempt.token = wait.token;
    if (wait.result) {
      this.settleFromResult(attempt, wait.result);
      return;
    }
    this.waiters.set(wait.token, attempt);
    this.armWaitTimers(seg, exec, wait, attempt);
    if (!wait.submitted) {
      const withToken = replaceInJson(params, this.placeholder, wait.token);
      this.invoke(spec, withToken).then(
        (result) => {
          if (exec.record.wait !== wait || exec.record.status !== "RUNNING" || this.closing) return;
          wait.submitted = true;
          this.record(exec, "TaskSubmitted", {
            taskSubmittedEventDetails: {
              resourceType: spec.resourceType,
              resource: spec.resource,
              output: JSON.stringify(result),
            },
          });
          this.schedulePersist(exec);
        },
        (error: Error) => {
          if (exec.record.wait !== wait || wait.result || this.closing) return;
          void this.endWait(exec, wait, { error: error.name, cause: error.message }, "TaskFailed", {
            taskFailedEventDetails: {
              resourceType: spec.resourceType,
              resource: spec.resource,
              error: error.name,
              cause: error.message,
            },
          }).catch((e) => this.report("could not record a failed callback task", e));
        },
      );
    }
  }

  private armWaitTimers(seg: Segment, exec: Live, wait: WaitRecord, attempt: Attempt): void {
    for (const t of attempt.timers) t.cancel();
    attempt.timers = [];
    const due = Math.min(wait.deadline, wait.heartbeatDeadline ?? Number.POSITIVE_INFINITY);
    attempt.timers.push(
      timerAt(this.now, due, () => {
        if (seg.detached || wait.result || exec.record.wait !== wait) return;
        const heartbeat = wait.heartbeatDeadline !== undefined && wait.heartbeatDeadline < wait.deadline;
        void this.endWait(
          exec,
          wait,
          { error: "States.Timeout", cause: "", timedOut: true },
          "TaskTimedOut",
          {
            taskTimedOutEventDetails: {
              resourceType: wait.resourceType,
              resource: wait.resource,
              error: heartbeat ? "States.HeartbeatTimeout" : "States.Timeout",
              cause: "",
            },
          },
        ).catch((e) => this.report("could not record a timeout", e));
      }),
    );
    // The engine's own task timer (ENGINE_TASK_TIMEOUT_SECONDS) started with this attempt: if the wait
    // outlasts this run's share, hand it to a fresh run before that timer can fire.
    const segmentLeft = Math.max(0, this.maxSegmentMs - (Date.now() - attempt.startedAt));
    if (due - this.now() > segmentLeft) {
      const handle = setTimeout(() => this.roll(seg), segmentLeft);
      attempt.timers.push({ cancel: () => clearTimeout(handle) });
    }
  }

  private settleFromResult(attempt: Attempt, result: WaitResult): void {
    if ("output" in result) attempt.resolve(JSON.parse(result.output) as JsonValue);
    else if (result.timedOut) attempt.reject(new this.TimeoutError());
    else attempt.reject(taskError(result.error, result.cause));
  }

  /** The open wait a token belongs to, or the error AWS gives for it. */
  private async openWait(token: unknown): Promise<{ exec: Live; wait: WaitRecord }> {
    if (typeof token !== "string" || token.length === 0 || token.length > 2048)
      throw invalidToken("Invalid Token: 'taskToken' must be a string of 1 to 2048 characters");
    const name = this.tokenIndex.get(token);
    const exec = name === undefined ? undefined : this.live.get(name);
    const wait = exec?.record.wait;
    if (exec && wait && wait.token === token && !wait.result && exec.record.status === "RUNNING")
      return { exec, wait };
    if (name !== undefined) throw taskTimedOut();
    // Not open: a token of ours that has ended, or not a token at all?
    const decoded = decodeToken(token);
    if (decoded && this.summaries.has(decoded.e)) {
      const record =
        this.live.get(decoded.e)?.record ?? (await this.readRecord(decoded.e).catch(() => undefined));
      if (record && (record.closedTokens.includes(token) || record.wait?.token === token))
        throw taskTimedOut();
    }
    throw invalidToken();
  }

  /** Ends a wait: records it, persists it, then lets the engine go on. */
  private async endWait(
    exec: Live,
    wait: WaitRecord,
    result: WaitResult,
    eventType: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    if (wait.result) throw taskTimedOut();
    wait.result = result;
    this.tokenIndex.delete(wait.token);
    exec.record.closedTokens.push(wait.token);
    this.record(exec, eventType, details);
    const attempt = this.waiters.get(wait.token);
    if (attempt) for (const t of attempt.timers) t.cancel();
    await this.persist(exec);
    const current = this.waiters.get(wait.token);
    if (current && !this.closing) this.settleFromResult(current, result);
  }

  /** Forgets the current wait (its state is over); its token stays known as ended. */
  private dropWait(exec: Live): void {
    const wait = exec.record.wait;
    if (!wait) return;
    if (!wait.result) {
      this.tokenIndex.delete(wait.token);
      exec.record.closedTokens.push(wait.token);
    }
    exec.record.wait = undefined;
  }

  // ----- execution end and timeout ----------------------------------------

  private armExecutionTimeout(exec: Live): void {
    const seconds = this.prepared.executionTimeoutSeconds;
    if (seconds === undefined) return;
    exec.executionTimer?.cancel();
    exec.executionTimer = timerAt(this.now, exec.record.startDate + seconds * 1000, () => {
      void this.finish(exec, "TIMED_OUT", {
        type: "ExecutionTimedOut",
        details: { executionTimedOutEventDetails: { error: "States.Timeout", cause: "" } },
        error: "States.Timeout",
        cause: "",
      }).catch((e) => this.report("could not record an execution timeout", e));
    });
  }

  private async finish(
    exec: Live,
    status: ExecutionStatus,
    end: { type: string; details: Record<string, unknown>; output?: string; error?: string; cause?: string },
  ): Promise<void> {
    const r = exec.record;
    if (r.status !== "RUNNING") return;
    if (exec.segment) this.detach(exec.segment);
    exec.executionTimer?.cancel();
    this.dropWait(exec);
    r.status = status;
    r.stopDate = this.now();
    if (end.output !== undefined) r.output = end.output;
    if (end.error !== undefined) r.error = end.error;
    if (end.cause !== undefined) r.cause = end.cause;
    r.current = undefined;
    this.record(exec, end.type, end.details);
    this.summaries.set(r.name, { name: r.name, status, startDate: r.startDate, stopDate: r.stopDate });
    await this.persist(exec);
    if (this.live.get(r.name) === exec) this.live.delete(r.name);
  }

  // ----- history and persistence ------------------------------------------

  private record(exec: Live, type: string, details: Record<string, unknown>): void {
    const history = exec.record.history;
    const id = history.length + 1;
    history.push({ id, previousEventId: id - 1, timestamp: this.now(), type, ...details });
  }

  private addLive(record: ExecutionRecord): Live {
    const exec: Live = { record, started: Promise.resolve(), dirty: false, persistWaiters: [] };
    this.live.set(record.name, exec);
    return exec;
  }

  private fileOf(name: string): string {
    return join(this.dir, `${encodeURIComponent(name)}.json`);
  }

  private schedulePersist(exec: Live): void {
    this.persist(exec).catch((e) => {
      if (!this.closing) this.report(`could not save execution ${exec.record.name}`, e);
    });
  }

  /** Resolves once a write that includes the record as it is now is on disk. */
  private persist(exec: Live): Promise<void> {
    if (this.closed)
      return Promise.reject(new SfnServiceError("ServiceUnavailable", "the service is closed", 503));
    exec.dirty = true;
    const done = new Promise<void>((resolve, reject) => exec.persistWaiters.push({ resolve, reject }));
    if (!exec.writing) {
      exec.writing = this.writeLoop(exec).finally(() => {
        exec.writing = undefined;
      });
    }
    return done;
  }

  private async writeLoop(exec: Live): Promise<void> {
    while (exec.dirty) {
      exec.dirty = false;
      const waiters = exec.persistWaiters.splice(0);
      if (this.closed) {
        for (const w of waiters)
          w.reject(new SfnServiceError("ServiceUnavailable", "the service is closed", 503));
        continue;
      }
      const text = JSON.stringify(exec.record);
      const file = this.fileOf(exec.record.name);
      const tmp = `${file}.${process.pid}.${++this.writeCounter}.tmp`;
      try {
        await writeFile(tmp, text);
        await rename(tmp, file);
        for (const w of waiters) w.resolve();
      } catch (error) {
        await rm(tmp, { force: true }).catch(() => {});
        for (const w of waiters) w.reject(error as Error);
      }
    }
  }

  private async readRecord(name: string): Promise<ExecutionRecord> {
    return JSON.parse(await readFile(this.fileOf(name), "utf8")) as ExecutionRecord;
  }

  private nameOf(executionArn: unknown): string {
    if (typeof executionArn !== "string" || !executionArn.startsWith("arn:"))
      throw new SfnServiceError("InvalidArn", `Invalid Arn: '${String(executionArn)}'`);
    if (!executionArn.startsWith(this.executionArnPrefix)) throw executionDoesNotExist(executionArn);
    return executionArn.slice(this.executionArnPrefix.length);
  }

  private async load(executionArn: string): Promise<ExecutionRecord> {
    const name = this.nameOf(executionArn);
    const exec = this.live.get(name);
    if (exec) return exec.record;
    if (!this.summaries.has(name)) throw executionDoesNotExist(executionArn);
    try {
      return await this.readRecord(name);
    } catch {
      throw executionDoesNotExist(executionArn);
    }
  }

  private async init(): Promise<void> {
    this.TimeoutError = await statesTimeoutErrorClass();
    await mkdir(this.dir, { recursive: true });
    const files = await readdir(this.dir);
    for (const f of files) if (f.endsWith(".tmp")) await rm(join(this.dir, f), { force: true });
    const names = files.filter((f) => f.endsWith(".json"));
    for (let i = 0; i < names.length; i += 64) {
      const batch = await Promise.all(
        names.slice(i, i + 64).map(async (f) => {
          try {
            return JSON.parse(await readFile(join(this.dir, f), "utf8")) as ExecutionRecord;
          } catch (error) {
            this.report(`skipping unreadable execution file ${f}`, error);
            return undefined;
          }
        }),
      );
      for (const r of batch) {
        if (!r || r.stateMachineArn !== this.stateMachineArn) continue;
        this.summaries.set(r.name, {
          name: r.name,
          status: r.status,
          startDate: r.startDate,
          ...(r.stopDate !== undefined ? { stopDate: r.stopDate } : {}),
        });
        if (r.status === "RUNNING") {
          this.addLive(r);
          if (r.wait && !r.wait.result) this.tokenIndex.set(r.wait.token, r.name);
        }
      }
    }
  }

  private async open(): Promise<void> {
    if (this.closing)
      throw new SfnServiceError("ServiceUnavailable", "the local Step Functions service is closed", 503);
    await this.ready;
  }

  private report(message: string, error: unknown): void {
    if (this.options.onError) this.options.onError(message, error);
    else console.error(`[local-sfn] ${message}:`, error);
  }
}

function positiveInteger(value: JsonValue | undefined, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1)
    throw new UncatchableError(
      "States.Runtime",
      `The value of ${what} must be a positive integer, got ${JSON.stringify(value ?? null)}`,
    );
  return value;
}

function sameJson(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return isDeepStrictEqual(JSON.parse(a), JSON.parse(b));
  } catch {
    return false;
  }
}

function stripExecutionData(event: HistoryEvent): HistoryEvent {
  const copy: HistoryEvent = { ...event };
  for (const [key, value] of Object.entries(copy)) {
    if (key.endsWith("EventDetails") && isObject(value)) {
      const { input: _i, output: _o, parameters: _p, ...rest } = value;
      copy[key] = rest;
    }
  }
  return copy;
}

function paginate<T, K extends string>(
  items: T[],
  maxResults: number | undefined,
  nextToken: string | undefined,
  key: K,
): { [P in K]: T[] } & { nextToken?: string } {
  const size = maxResults && maxResults > 0 ? Math.min(maxResults, 1000) : 100;
  let start = 0;
  if (nextToken) {
    const n = Number(
      Buffer.from(nextToken, "base64url")
        .toString("utf8")
        .replace(/^offset:/, ""),
    );
    if (!Number.isInteger(n) || n < 0) throw new SfnServiceError("InvalidToken", "Invalid nextToken");
    start = n;
  }
  const page = items.slice(start, start + size);
  const out = { [key]: page } as { [P in K]: T[] } & { nextToken?: string };
  if (start + size < items.length)
    out.nextToken = Buffer.from(`offset:${start + size}`).toString("base64url");
  return out;
}

// ---------------------------------------------------------------------------
// AWS JSON 1.0 endpoint

const TARGET_PREFIX = "AWSStepFunctions.";

/** Dates become epoch seconds, as the AWS JSON protocol sends timestamps. */
function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toWire(v)]));
  return value;
}

const str = (body: Record<string, unknown>, key: string, required = true): string | undefined => {
  const v = body[key];
  if (v === undefined || v === null) {
    if (required)
      throw validation(
        `1 validation error detected: Value null at '${key}' failed to satisfy constraint: Member must not be null`,
      );
    return undefined;
  }
  if (typeof v !== "string") throw validation(`Value at '${key}' must be a string`);
  return v;
};

const num = (body: Record<string, unknown>, key: string): number | undefined => {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 1000)
    throw validation(`Value at '${key}' must be an integer between 0 and 1000`);
  return v;
};

/**
 * Runs one AWS JSON 1.0 call (`X-Amz-Target: AWSStepFunctions.<Operation>`)
 * against the service and returns the HTTP answer to send.
 */
export async function handleSfnJsonRequest(
  service: LocalStepFunctions,
  target: string | undefined,
  bodyText: string,
): Promise<{ statusCode: number; headers: Record<string, string>; body: string }> {
  const headers = { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": randomUUID() };
  try {
    let body: Record<string, unknown>;
    try {
      const parsed = bodyText.trim() === "" ? {} : (JSON.parse(bodyText) as unknown);
      if (!isObject(parsed)) throw new Error("not an object");
      body = parsed;
    } catch {
      throw new SfnServiceError("SerializationException", "The request body is not a JSON object");
    }
    const operation = target?.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : undefined;
    let result: unknown;
    switch (operation) {
      case "StartExecution":
        result = await service.startExecution({
          stateMachineArn: str(body, "stateMachineArn"),
          name: str(body, "name", false),
          input: str(body, "input", false),
        });
        break;
      case "DescribeExecution":
        result = await service.describeExecution(str(body, "executionArn") as string);
        break;
      case "GetExecutionHistory":
        result = await service.getExecutionHistory(str(body, "executionArn") as string, {
          maxResults: num(body, "maxResults"),
          reverseOrder: body.reverseOrder === true,
          nextToken: str(body, "nextToken", false),
          includeExecutionData: body.includeExecutionData !== false,
        });
        break;
      case "ListExecutions":
        result = await service.listExecutions({
          stateMachineArn: str(body, "stateMachineArn", false),
          statusFilter: str(body, "statusFilter", false) as ExecutionStatus | undefined,
          maxResults: num(body, "maxResults"),
          nextToken: str(body, "nextToken", false),
        });
        break;
      case "StopExecution":
        result = await service.stopExecution(
          str(body, "executionArn") as string,
          str(body, "error", false),
          str(body, "cause", false),
        );
        break;
      case "SendTaskSuccess":
        await service.sendTaskSuccess(str(body, "taskToken") as string, str(body, "output") as string);
        result = {};
        break;
      case "SendTaskFailure":
        await service.sendTaskFailure(
          str(body, "taskToken") as string,
          str(body, "error", false),
          str(body, "cause", false),
        );
        result = {};
        break;
      case "SendTaskHeartbeat":
        await service.sendTaskHeartbeat(str(body, "taskToken") as string);
        result = {};
        break;
      case "DescribeStateMachine":
        if (str(body, "stateMachineArn") !== service.stateMachineArn)
          throw new SfnServiceError(
            "StateMachineDoesNotExist",
            `State Machine Does Not Exist: '${String(body.stateMachineArn)}'`,
          );
        result = service.describeStateMachine();
        break;
      default:
        throw new SfnServiceError("UnknownOperationException", `Unknown operation ${String(target)}`);
    }
    return { statusCode: 200, headers, body: JSON.stringify(toWire(result)) };
  } catch (error) {
    const e =
      error instanceof SfnServiceError
        ? error
        : new SfnServiceError("InternalFailure", error instanceof Error ? error.message : String(error), 500);
    return {
      statusCode: e.statusCode,
      headers: { ...headers, "x-amzn-errortype": e.code },
      body: JSON.stringify({ __type: e.code, message: e.message }),
    };
  }
}

const MAX_REQUEST_BYTES = 1024 * 1024;

/** Whether a request is a Step Functions API call (to share one HTTP server with other endpoints). */
export const isSfnRequest = (req: IncomingMessage): boolean =>
  req.method === "POST" && String(req.headers["x-amz-target"] ?? "").startsWith(TARGET_PREFIX);

/** A Node request listener that serves the Step Functions API. */
export function createSfnRequestListener(
  service: LocalStepFunctions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    let answer: { statusCode: number; headers: Record<string, string>; body: string };
    try {
      if (req.method !== "POST") throw new SfnServiceError("UnknownOperationException", "POST only", 405);
      const body = (
        await readBody(
          req,
          MAX_REQUEST_BYTES,
          () => new SfnServiceError("ValidationException", "request too large", 413),
        )
      ).toString("utf8");
      const target = req.headers["x-amz-target"];
      answer = await handleSfnJsonRequest(service, Array.isArray(target) ? target[0] : target, body);
    } catch (error) {
      const e =
        error instanceof SfnServiceError ? error : new SfnServiceError("InternalFailure", String(error), 500);
      answer = {
        statusCode: e.statusCode,
        headers: { "content-type": "application/x-amz-json-1.0", "x-amzn-errortype": e.code },
        body: JSON.stringify({ __type: e.code, message: e.message }),
      };
    }
    res.writeHead(answer.statusCode, { ...answer.headers, "content-length": Buffer.byteLength(answer.body) });
    res.end(answer.body);
  };
}

/** An HTTP server for the Step Functions API (not yet listening). Point `AWS_ENDPOINT_URL_SFN` at it. */
export function createSfnHttpServer(service: LocalStepFunctions): Server {
  const listener = createSfnRequestListener(service);
  return createServer((req, res) => {
    void listener(req, res);
  });
}
