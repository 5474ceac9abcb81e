import { evaluateRule } from "./choice";
import type { AslDefinition, AslState } from "./definition";
import { type Json, type JsonObject, StatesError } from "./json";
import { readPath, selectPath, writePath } from "./json-path";
import { applyTemplate } from "./payload";
import { type Catcher, catcherFor, type Retrier, retryFor } from "./retry";

/**
 * A Step Functions (Standard) execution engine for the subset of the Amazon
 * States Language that loadDefinition admits, on a host's clock: every state
 * entered is one scheduled transition; a Task invokes the host and waits for
 * its answer (or, for `.waitForTaskToken`, for SendTaskSuccess/Failure with
 * the token it minted) until its timeout; Retry with backoff and jitter,
 * Catch with ResultPath, Choice, Pass, Wait, Succeed and Fail as AWS defines
 * them. test/sim/asl-crosscheck.test.ts holds it to aws-local-stepfunctions.
 */

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";
export type TaskResult = { output: Json } | { error: string; cause: string };

export interface TaskInvocation {
  execution: Execution;
  state: string;
  resource: string;
  callback: boolean;
  parameters: Json;
  token: string | null;
  /** How the invocation ended; for a callback task only a failure ends the task. */
  finish(result: TaskResult): void;
}

export interface Timer {
  cancel(): void;
}

export interface AslHost {
  now(): number;
  schedule(delayMs: number, label: string, fn: () => void): Timer;
  /** Uniform in [0, 1): FULL jitter. */
  jitter(): number;
  invoke(task: TaskInvocation): void;
  /** How long Step Functions takes to move from one state to the next. */
  transitionDelayMs(): number;
  ended?(execution: Execution): void;
}

/** AWS's limits: a Standard execution runs at most a year and keeps at most 25,000 history events. */
export const STANDARD_MAX_DURATION_MS = 365 * 86_400_000;
export const MAX_HISTORY_EVENTS = 25_000;
/** A Task's timeout when the state gives none. */
const DEFAULT_TASK_TIMEOUT_SECONDS = 99_999_999;

interface Attempt {
  exec: Execution;
  visit: number;
  name: string;
  state: AslState;
  rawInput: Json;
  counts: number[];
  token: string | null;
  timer: Timer | null;
  done: boolean;
}

export class Execution {
  status: ExecutionStatus = "RUNNING";
  stoppedAt: number | null = null;
  output: Json = null;
  error: string | null = null;
  cause: string | null = null;
  state: string;
  /** Increases with every state entered: an answer for an earlier visit is stale. */
  visit = 0;
  historyEvents = 1;
  /** The states entered, in order. */
  readonly path: string[] = [];
  attempt: Attempt | null = null;
  limit: Timer | null = null;

  constructor(
    readonly name: string,
    readonly input: Json,
    readonly startedAt: number,
    startAt: string,
  ) {
    this.state = startAt;
  }
}

export class AslInterpreter {
  private readonly open = new Map<string, Attempt>();
  private readonly closed = new Set<string>();
  private tokens = 0;

  constructor(
    readonly definition: AslDefinition,
    private readonly host: AslHost,
    private readonly stateMachineArn = "arn:aws:states:sim:000000000000:stateMachine:escrow",
  ) {}

  start(name: string, input: Json): Execution {
    const exec = new Execution(name, input, this.host.now(), this.definition.StartAt);
    const limitMs = Math.min(
      STANDARD_MAX_DURATION_MS,
      (this.definition.TimeoutSeconds ?? Number.POSITIVE_INFINITY) * 1000,
    );
    exec.limit = this.host.schedule(limitMs, `${name} execution limit`, () =>
      this.stop(exec, "TIMED_OUT", "States.Timeout", "The execution reached its maximum duration."),
    );
    this.enter(exec, this.definition.StartAt, input, 0);
    return exec;
  }

  /** SendTaskSuccess: "ok", or the error AWS answers for a token that is not waiting. */
  sendTaskSuccess(token: string, output: Json): "ok" | "TaskTimedOut" | "InvalidToken" {
    const a = this.open.get(token);
    if (!a) return this.closed.has(token) ? "TaskTimedOut" : "InvalidToken";
    this.complete(a, output);
    return "ok";
  }

  sendTaskFailure(token: string, error: string, cause: string): "ok" | "TaskTimedOut" | "InvalidToken" {
    const a = this.open.get(token);
    if (!a) return this.closed.has(token) ? "TaskTimedOut" : "InvalidToken";
    this.fail(a, error, cause);
    return "ok";
  }

  /** Ends a running execution from outside (StopExecution, or a limit of the service). */
  stop(exec: Execution, status: ExecutionStatus, error: string, cause: string): void {
    if (exec.status !== "RUNNING") return;
    this.end(exec, status, null, error, cause);
  }

  private context(exec: Execution, name: string, counts: number[], token: string | null): Json {
    const ctx: JsonObject = {
      Execution: {
        Id: `${this.stateMachineArn.replace(":stateMachine:", ":execution:")}:${exec.name}`,
        Name: exec.name,
        Input: exec.input,
        StartTime: new Date(exec.startedAt).toISOString(),
      },
      State: { Name: name, RetryCount: counts.reduce((s, n) => s + n, 0) },
      StateMachine: { Id: this.stateMachineArn },
    };
    if (token !== null) ctx.Task = { Token: token };
    return ctx;
  }

  private count(exec: Execution, events: number): boolean {
    exec.historyEvents += events;
    if (exec.historyEvents <= MAX_HISTORY_EVENTS) return true;
    this.end(exec, "FAILED", null, "States.Runtime", `more than ${MAX_HISTORY_EVENTS} history events`);
    return false;
  }

  private enter(exec: Execution, name: string, input: Json, delayMs = this.host.transitionDelayMs()): void {
    const visit = ++exec.visit;
    exec.state = name;
    exec.attempt = null;
    this.host.schedule(delayMs, `${exec.name} enters ${name}`, () => {
      if (exec.status !== "RUNNING" || exec.visit !== visit) return;
      exec.path.push(name);
      if (!this.count(exec, 2)) return;
      try {
        this.run(exec, name, input);
      } catch (error) {
        if (!(error instanceof StatesError)) throw error;
        this.end(exec, "FAILED", null, error.error, error.cause);
      }
    });
  }

  private run(exec: Execution, name: string, input: Json): void {
    const s = this.definition.States[name] as AslState;
    const ctx = () => this.context(exec, name, [], null);
    switch (s.Type) {
      case "Pass": {
        const eff = selectPath(s.InputPath as string | null | undefined, input, ctx());
        const result =
          s.Result !== undefined
            ? s.Result
            : s.Parameters !== undefined
              ? applyTemplate(s.Parameters, eff, ctx())
              : eff;
        this.after(exec, s, writePath(s.ResultPath as string | null | undefined, input, result));
        return;
      }
      case "Choice": {
        const eff = selectPath(s.InputPath as string | null | undefined, input, ctx());
        const rule = (s.Choices as JsonObject[]).find((r) => evaluateRule(r, eff, ctx()));
        const next = (rule?.Next ?? s.Default) as string | undefined;
        if (next === undefined)
          throw new StatesError("States.NoChoiceMatched", `no choice of ${name} matched`);
        this.enter(exec, next, selectPath(s.OutputPath as string | null | undefined, eff, ctx()));
        return;
      }
      case "Wait": {
        const eff = selectPath(s.InputPath as string | null | undefined, input, ctx());
        const ms = this.waitMs(s, eff, ctx());
        const visit = exec.visit;
        this.host.schedule(ms, `${exec.name} waits in ${name}`, () => {
          if (exec.status === "RUNNING" && exec.visit === visit) this.after(exec, s, eff);
        });
        return;
      }
      case "Succeed":
        this.end(exec, "SUCCEEDED", this.output(s, selectPath(s.InputPath as string, input, ctx()), ctx()));
        return;
      case "Fail": {
        const error = s.ErrorPath ? readPath(String(s.ErrorPath), input, ctx()) : (s.Error ?? "States.Fail");
        const cause = s.CausePath ? readPath(String(s.CausePath), input, ctx()) : (s.Cause ?? "");
        this.end(exec, "FAILED", null, String(error), String(cause));
        return;
      }
      case "Task":
        this.attempt(exec, name, s, input, []);
        return;
    }
    throw new Error(`state type ${s.Type}`);
  }

  private waitMs(s: AslState, input: Json, ctx: Json): number {
    if (typeof s.Seconds === "number") return s.Seconds * 1000;
    if (typeof s.SecondsPath === "string") return Number(readPath(s.SecondsPath, input, ctx)) * 1000;
    const at =
      typeof s.Timestamp === "string" ? s.Timestamp : String(readPath(String(s.TimestampPath), input, ctx));
    return Math.max(0, Date.parse(at) - this.host.now());
  }

  private output(s: AslState, data: Json, ctx: Json): Json {
    return selectPath(s.OutputPath as string | null | undefined, data, ctx);
  }

  /** A state's work is done with `output` (after ResultPath): End, or on to Next. */
  private after(exec: Execution, s: AslState, data: Json): void {
    const out = this.output(s, data, this.context(exec, exec.state, [], null));
    if (s.End === true) this.end(exec, "SUCCEEDED", out);
    else this.enter(exec, s.Next as string, out);
  }

  private attempt(exec: Execution, name: string, s: AslState, rawInput: Json, counts: number[]): void {
    const callback = String(s.Resource).endsWith(".waitForTaskToken");
    const token = callback ? `tok${++this.tokens}.${exec.name}.${name}` : null;
    const ctx = this.context(exec, name, counts, token);
    const eff = selectPath(s.InputPath as string | null | undefined, rawInput, ctx);
    const parameters = s.Parameters !== undefined ? applyTemplate(s.Parameters, eff, ctx) : eff;
    const timeout =
      typeof s.TimeoutSeconds === "number"
        ? s.TimeoutSeconds
        : typeof s.TimeoutSecondsPath === "string"
          ? readPath(s.TimeoutSecondsPath, eff, ctx)
          : DEFAULT_TASK_TIMEOUT_SECONDS;
    if (typeof timeout !== "number" || !Number.isInteger(timeout) || timeout < 1)
      throw new StatesError(
        "States.Runtime",
        `${name}: the timeout must be a positive integer, got ${JSON.stringify(timeout)}`,
      );
    if (!this.count(exec, callback ? 4 : 3)) return;
    const a: Attempt = {
      exec,
      visit: exec.visit,
      name,
      state: s,
      rawInput,
      counts,
      token,
      timer: null,
      done: false,
    };
    exec.attempt = a;
    a.timer = this.host.schedule(timeout * 1000, `${exec.name} ${name} times out`, () =>
      // The Cause aws-local-stepfunctions gives (nothing in the workflow reads it).
      this.fail(a, "States.Timeout", "States.Timeout"),
    );
    if (token) this.open.set(token, a);
    this.host.invoke({
      execution: exec,
      state: name,
      resource: String(s.Resource),
      callback,
      parameters,
      token,
      finish: (result) => {
        if (a.done) return;
        if ("error" in result) this.fail(a, result.error, result.cause);
        else if (!callback) this.complete(a, result.output);
      },
    });
  }

  private close(a: Attempt): boolean {
    if (a.done) return false;
    a.done = true;
    a.timer?.cancel();
    if (a.token) {
      this.open.delete(a.token);
      this.closed.add(a.token);
    }
    return a.exec.status === "RUNNING" && a.exec.visit === a.visit;
  }

  private complete(a: Attempt, output: Json): void {
    if (!this.close(a)) return;
    const { exec, state: s } = a;
    try {
      const ctx = this.context(exec, a.name, a.counts, null);
      const result = s.ResultSelector !== undefined ? applyTemplate(s.ResultSelector, output, ctx) : output;
      this.after(exec, s, writePath(s.ResultPath as string | null | undefined, a.rawInput, result));
    } catch (error) {
      if (!(error instanceof StatesError)) throw error;
      if (error.error === "States.Runtime") this.end(exec, "FAILED", null, error.error, error.cause);
      else this.handle(a, error.error, error.cause);
    }
  }

  private fail(a: Attempt, error: string, cause: string): void {
    if (this.close(a)) this.handle(a, error, cause);
  }

  private handle(a: Attempt, error: string, cause: string): void {
    const { exec, state: s, name } = a;
    const isTask = s.Type === "Task";
    const retry = retryFor(s.Retry as unknown as Retrier[] | undefined, a.counts, error, isTask, () =>
      this.host.jitter(),
    );
    if (retry) {
      this.host.schedule(retry.delayMs, `${exec.name} retries ${name}`, () => {
        if (exec.status !== "RUNNING" || exec.visit !== a.visit) return;
        try {
          this.attempt(exec, name, s, a.rawInput, a.counts);
        } catch (e) {
          if (!(e instanceof StatesError)) throw e;
          this.end(exec, "FAILED", null, e.error, e.cause);
        }
      });
      return;
    }
    const catcher = catcherFor(s.Catch as unknown as Catcher[] | undefined, error, isTask);
    if (catcher) {
      try {
        this.enter(
          exec,
          catcher.Next,
          writePath(catcher.ResultPath, a.rawInput, { Error: error, Cause: cause }),
        );
      } catch (e) {
        if (!(e instanceof StatesError)) throw e;
        this.end(exec, "FAILED", null, e.error, e.cause);
      }
      return;
    }
    this.end(exec, "FAILED", null, error, cause);
  }

  private end(exec: Execution, status: ExecutionStatus, output: Json, error?: string, cause?: string): void {
    if (exec.status !== "RUNNING") return;
    exec.status = status;
    exec.stoppedAt = this.host.now();
    exec.output = output;
    exec.error = error ?? null;
    exec.cause = cause ?? null;
    exec.visit++;
    exec.limit?.cancel();
    if (exec.attempt) this.close(exec.attempt);
    this.host.ended?.(exec);
  }
}
