import "../polyfills";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { StateMachine } from "aws-local-stepfunctions";
import { ENGINE_TASK_TIMEOUT_SECONDS, type PreparedDefinition, prepareDefinition } from "./definition";
import { detachedError, executionDoesNotExist, SfnServiceError } from "./errors";
import { ExecutionStore } from "./execution-store";
import { appendEvent, summaryOf } from "./history";
import { type Timer, timerAt } from "./timers";
import type {
  ExecutionRecord,
  ExecutionStatus,
  JsonValue,
  LocalStepFunctionsOptions,
  Summary,
  WaitRecord,
} from "./types";

/**
 * The state the local Step Functions service shares between its parts: the
 * executions in memory (the live ones in full, the rest as summaries), the
 * open waits by token, the engine runs ("segments") and the store on disk;
 * and the few operations every part needs (record an event, persist, end an
 * execution, let go of an engine run).
 */

const DEFAULT_MAX_SEGMENT_SECONDS = 1_900_000;

/** One try of a Task: the promise the engine awaits, settled by the handler, a signal or a timer. */
export interface Attempt {
  /** Real time (Date.now) the engine started this task, and with it its own task timer. */
  startedAt: number;
  resolve(value: JsonValue): void;
  reject(error: Error): void;
  timers: Timer[];
  token?: string;
}

/** One engine run of an execution, from `startAt` (the start, or the state a resumed run is in). */
export interface Segment {
  exec: Live;
  run?: { abort: () => void };
  startAt: string;
  detached: boolean;
  /** The first StateEntered of a resumed run repeats one already recorded. */
  skipFirstEnter: boolean;
  /** A wait to take over (same token) when the start state's task runs. */
  resumeWait?: WaitRecord;
  attempt?: Attempt;
  /** Hands this run's wait to a fresh run (same token, same deadline). */
  roll(): void;
}

/** A RUNNING execution in memory. */
export interface Live {
  record: ExecutionRecord;
  segment?: Segment;
  executionTimer?: Timer;
  /** Persisted once: the idempotent re-start waits for it. */
  started: Promise<void>;
  /** Engine runs started for it by this service (a long wait is carried across several). */
  engineRuns: number;
  /** The last event recorded, and when (real time): a failed task followed by quiet is a retry's back-off. */
  last?: { type: string; at: number };
}

export interface ExecutionEnd {
  type: string;
  details: Record<string, unknown>;
  output?: string;
  error?: string;
  cause?: string;
}

export class Runtime {
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  readonly executionArnPrefix: string;
  readonly region: string;
  readonly prepared: PreparedDefinition;
  readonly now: () => number;
  /** A timer at a time of `now`: wait deadlines and the execution timeout (service time, not real time). */
  readonly timerAt: (at: number, fire: () => void) => Timer;
  /** What the engine sees as `$$.Task.Token`; each callback task replaces it with a real token. */
  readonly placeholder = `__LOCAL_SFN_TASK_TOKEN_${randomBytes(12).toString("hex")}__`;
  readonly maxSegmentMs: number;
  readonly machines = new Map<string, StateMachine>();
  readonly summaries = new Map<string, Summary>();
  readonly live = new Map<string, Live>();
  /** Open waits: token → execution name. */
  readonly tokenIndex = new Map<string, string>();
  /** Attempts currently awaiting a token: token → attempt. */
  readonly waiters = new Map<string, Attempt>();
  readonly store: ExecutionStore;
  TimeoutError!: new () => Error;
  closing = false;

  constructor(readonly options: LocalStepFunctionsOptions) {
    this.stateMachineArn = options.stateMachineArn;
    const arn = /^arn:([^:]+):states:([^:]*):([^:]*):stateMachine:([^:]+)$/.exec(options.stateMachineArn);
    if (!arn) throw new Error(`not a state machine ARN: ${options.stateMachineArn}`);
    this.stateMachineName = arn[4] as string;
    this.region = options.region ?? (arn[2] as string);
    this.executionArnPrefix = `arn:${arn[1]}:states:${arn[2]}:${arn[3]}:execution:${arn[4]}:`;
    this.now = options.now ?? Date.now;
    this.timerAt = options.timers ?? ((at, fire) => timerAt(this.now, at, fire));
    this.maxSegmentMs = (options.maxSegmentSeconds ?? DEFAULT_MAX_SEGMENT_SECONDS) * 1000;
    if (this.maxSegmentMs >= ENGINE_TASK_TIMEOUT_SECONDS * 1000)
      throw new Error("maxSegmentSeconds is too large");
    // Validate the definition as written (throws with the validator's messages).
    new StateMachine(options.definition as never);
    this.prepared = prepareDefinition(options.definition, { retryScale: options.retryScale ?? 1 });
    for (const spec of this.prepared.tasks.values())
      if (spec.kind === "sns" && !options.snsPublish)
        throw new Error(`state ${spec.state} publishes to SNS but no snsPublish was given`);
    this.store = new ExecutionStore(join(options.dataDir, "executions"), (m, e) => this.report(m, e));
  }

  get roleArn(): string {
    if (this.options.roleArn) return this.options.roleArn;
    const [, partition, , , account] = this.stateMachineArn.split(":");
    return `arn:${partition}:iam::${account}:role/local-step-functions`;
  }

  record(exec: Live, type: string, details: Record<string, unknown>): void {
    appendEvent(exec.record, this.now(), type, details);
    exec.last = { type, at: Date.now() };
  }

  addLive(record: ExecutionRecord): Live {
    const exec: Live = { record, started: Promise.resolve(), engineRuns: 0 };
    this.live.set(record.name, exec);
    return exec;
  }

  /** Resolves once a write that includes the record as it is now is on disk. */
  persist(exec: Live): Promise<void> {
    return this.store.persist(exec.record);
  }

  schedulePersist(exec: Live): void {
    this.persist(exec).catch((e) => {
      if (!this.closing) this.report(`could not save execution ${exec.record.name}`, e);
    });
  }

  report(message: string, error: unknown): void {
    if (this.options.onError) this.options.onError(message, error);
    else console.error(`[local-sfn] ${message}:`, error);
  }

  /** Lets go of an engine run: its task attempt fails uncatchably, the run is aborted. */
  detach(seg: Segment): void {
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

  /** Forgets the current wait (its state is over); its token stays known as ended. */
  dropWait(exec: Live): void {
    const wait = exec.record.wait;
    if (!wait) return;
    if (!wait.result) {
      this.tokenIndex.delete(wait.token);
      exec.record.closedTokens.push(wait.token);
    }
    exec.record.wait = undefined;
  }

  armExecutionTimeout(exec: Live): void {
    const seconds = this.prepared.executionTimeoutSeconds;
    if (seconds === undefined) return;
    exec.executionTimer?.cancel();
    exec.executionTimer = this.timerAt(exec.record.startDate + seconds * 1000, () => {
      void this.finish(exec, "TIMED_OUT", {
        type: "ExecutionTimedOut",
        details: { executionTimedOutEventDetails: { error: "States.Timeout", cause: "" } },
        error: "States.Timeout",
        cause: "",
      }).catch((e) => this.report("could not record an execution timeout", e));
    });
  }

  /** Ends a RUNNING execution with `status` (once; later calls do nothing). */
  async finish(exec: Live, status: ExecutionStatus, end: ExecutionEnd): Promise<void> {
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
    this.summaries.set(r.name, summaryOf(r));
    await this.persist(exec);
    if (this.live.get(r.name) === exec) this.live.delete(r.name);
  }

  /**
   * Whether nothing runs until a signal or a deadline: every running execution is in a callback wait
   * whose task has been taken up (the moved clock waits for this between the deadlines it fires).
   */
  idle(): boolean {
    for (const exec of this.live.values()) {
      if (exec.record.status !== "RUNNING") continue;
      const wait = exec.record.wait;
      const attempt = exec.segment?.attempt;
      if (wait && !wait.result && attempt && attempt.token === wait.token) continue;
      // A task that failed, with nothing since: the state waits out its Retry's back-off (real time, which a
      // moved clock does not shorten); nothing else runs for it meanwhile.
      const last = exec.last;
      if (last && (last.type === "TaskFailed" || last.type === "TaskTimedOut") && Date.now() - last.at > 100)
        continue;
      return false;
    }
    return true;
  }

  nameOf(executionArn: unknown): string {
    if (typeof executionArn !== "string" || !executionArn.startsWith("arn:"))
      throw new SfnServiceError("InvalidArn", `Invalid Arn: '${String(executionArn)}'`);
    if (!executionArn.startsWith(this.executionArnPrefix)) throw executionDoesNotExist(executionArn);
    return executionArn.slice(this.executionArnPrefix.length);
  }

  /** The record of any execution: from memory while it runs, else from disk. */
  async load(executionArn: string): Promise<ExecutionRecord> {
    const name = this.nameOf(executionArn);
    const exec = this.live.get(name);
    if (exec) return exec.record;
    if (!this.summaries.has(name)) throw executionDoesNotExist(executionArn);
    try {
      return await this.store.read(name);
    } catch {
      throw executionDoesNotExist(executionArn);
    }
  }
}
