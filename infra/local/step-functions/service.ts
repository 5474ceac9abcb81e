import { randomUUID } from "node:crypto";
import { SfnServiceError, stateMachineDoesNotExist, statesTimeoutErrorClass } from "./errors";
import { describeRecord, historyOf, listItems, paginate, summaryOf } from "./history";
import { parseJsonText, sameJson } from "./json";
import { isValidExecutionName } from "./names-and-tokens";
import { Runtime } from "./runtime";
import { startSegment } from "./segments";
import type {
  ExecutionDescription,
  ExecutionListItem,
  ExecutionRecord,
  ExecutionStatus,
  HistoryEvent,
  JsonValue,
  LocalStepFunctionsOptions,
  StartExecutionInput,
  StateMachineDescription,
  StateMachineListItem,
} from "./types";
import { endWait, heartbeat, openWait } from "./waits";

/**
 * A local Step Functions (Standard) service for one state machine, built on
 * aws-local-stepfunctions, restart-safe; wire.ts serves it over the AWS JSON
 * 1.0 protocol, so an unmodified `@aws-sdk/client-sfn` or the aws CLI can
 * talk to it.
 *
 * What it adds to the engine (see ARCHITECTURE.md, "Facts found while
 * probing the toolchain"):
 *
 * - `.waitForTaskToken` (waits.ts): the engine has no callbacks, so each
 *   callback Task is run by an override that mints an unguessable token, puts
 *   it where the definition read `$$.Task.Token` (the engine only sees a
 *   placeholder), invokes the Lambda handler with it and returns a promise
 *   that `sendTaskSuccess` / `sendTaskFailure` settle.
 * - Task timeouts as AWS does them (definition.ts, tasks.ts): `TimeoutSecondsPath`
 *   is resolved against the state's input (a hidden entry is added to
 *   `Parameters`, which are resolved against the same input), the timer is
 *   ours (re-armed past Node's 24.8-day limit) and the engine's own timer is
 *   pushed out of the way. A wait longer than the engine's timer is carried
 *   across several engine runs ("segments", segments.ts) with the same token.
 *   A timeout raises the engine's own `States.Timeout` error class, so
 *   `States.TaskFailed` retriers leave it alone exactly as on AWS.
 * - An AWS-shaped execution history (history.ts), including one
 *   `…StateEntered` event per billed state transition.
 * - Durability (execution-store.ts): every execution is a JSON file under
 *   `dataDir/executions`, replaced atomically. A wait (token and absolute
 *   deadline) is on disk before its Lambda runs; a SendTaskSuccess/Failure is
 *   on disk before it is acknowledged. `resume()` carries every RUNNING
 *   execution on from the state it was in, with the same token and the time left.
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
export class LocalStepFunctions {
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  private readonly rt: Runtime;
  private readonly ready: Promise<void>;
  /** Shown as the state machine's creation date: when this service was made. */
  private readonly createdAt: number;

  constructor(private readonly options: LocalStepFunctionsOptions) {
    this.rt = new Runtime(options);
    this.stateMachineArn = this.rt.stateMachineArn;
    this.stateMachineName = this.rt.stateMachineName;
    this.createdAt = this.rt.now();
    this.ready = this.init();
    // Surface init failures on first use, not as unhandled rejections.
    this.ready.catch(() => {});
  }

  /** Starts an execution; any valid name (an escrow id, `<escrowId>-v<version>`...) or a random one. */
  async startExecution(request: StartExecutionInput): Promise<{ executionArn: string; startDate: Date }> {
    await this.open();
    const rt = this.rt;
    if (request.stateMachineArn !== undefined && request.stateMachineArn !== this.stateMachineArn)
      throw stateMachineDoesNotExist(request.stateMachineArn);
    const name = request.name ?? randomUUID();
    if (!isValidExecutionName(name)) throw new SfnServiceError("InvalidName", `Invalid Name: '${name}'`);
    const inputText = request.input ?? "{}";
    const input = parseJsonText(inputText, "InvalidExecutionInput", "execution input");
    const executionArn = rt.executionArnPrefix + name;
    const existing = rt.summaries.get(name);
    if (existing) {
      const running = rt.live.get(name);
      if (existing.status === "RUNNING" && running && sameJson(running.record.input, inputText)) {
        await running.started;
        return { executionArn, startDate: new Date(existing.startDate) };
      }
      throw new SfnServiceError("ExecutionAlreadyExists", `Execution Already Exists: '${executionArn}'`);
    }
    const startDate = rt.now();
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
    const exec = rt.addLive(record);
    rt.summaries.set(name, { name, status: "RUNNING", startDate });
    rt.record(exec, "ExecutionStarted", {
      executionStartedEventDetails: {
        input: inputText,
        inputDetails: { truncated: false },
        roleArn: rt.roleArn,
      },
    });
    exec.started = rt.persist(exec);
    try {
      await exec.started;
    } catch (error) {
      rt.live.delete(name);
      rt.summaries.delete(name);
      throw error;
    }
    rt.armExecutionTimeout(exec);
    startSegment(rt, exec, rt.prepared.startAt, input, false);
    return { executionArn, startDate: new Date(startDate) };
  }

  async sendTaskSuccess(taskToken: string, output: string): Promise<void> {
    await this.open();
    const { exec, wait } = await openWait(this.rt, taskToken);
    parseJsonText(output, "InvalidOutput", "output");
    await endWait(this.rt, exec, wait, { output }, "TaskSucceeded", {
      taskSucceededEventDetails: { resourceType: wait.resourceType, resource: wait.resource, output },
    });
  }

  async sendTaskFailure(taskToken: string, error?: string, cause?: string): Promise<void> {
    await this.open();
    const { exec, wait } = await openWait(this.rt, taskToken);
    const e = error ?? "";
    const c = cause ?? "";
    await endWait(this.rt, exec, wait, { error: e, cause: c }, "TaskFailed", {
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
    const { exec, wait } = await openWait(this.rt, taskToken);
    await heartbeat(this.rt, exec, wait);
  }

  async describeExecution(executionArn: string): Promise<ExecutionDescription> {
    await this.open();
    return describeRecord(await this.rt.load(executionArn));
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
    const events = historyOf(await this.rt.load(executionArn), options);
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
      throw stateMachineDoesNotExist(options.stateMachineArn);
    const items = listItems(
      this.rt.summaries.values(),
      this.stateMachineArn,
      this.rt.executionArnPrefix,
      options.statusFilter,
    );
    return paginate(items, options.maxResults, options.nextToken, "executions");
  }

  async stopExecution(executionArn: string, error?: string, cause?: string): Promise<{ stopDate: Date }> {
    await this.open();
    const rt = this.rt;
    const name = rt.nameOf(executionArn);
    const exec = rt.live.get(name);
    if (exec?.record.status !== "RUNNING") {
      const r = await rt.load(executionArn);
      return { stopDate: new Date(r.stopDate ?? rt.now()) };
    }
    await rt.finish(exec, "ABORTED", {
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
    return { stopDate: new Date(exec.record.stopDate ?? rt.now()) };
  }

  describeStateMachine(): StateMachineDescription {
    return {
      stateMachineArn: this.stateMachineArn,
      name: this.stateMachineName,
      status: "ACTIVE",
      definition: JSON.stringify(this.options.definition),
      roleArn: this.rt.roleArn,
      type: "STANDARD",
      creationDate: new Date(this.createdAt),
    };
  }

  /** ListStateMachines: the one state machine this service runs. */
  listStateMachines(): { stateMachines: StateMachineListItem[] } {
    const { stateMachineArn, name, type, creationDate } = this.describeStateMachine();
    return { stateMachines: [{ stateMachineArn, name, type, creationDate }] };
  }

  /**
   * Carries on every RUNNING execution found on disk (call once at start-up):
   * from the state it was in, with that state's input; a callback wait keeps
   * its token and its absolute deadline (a passed deadline times out at once).
   * Returns the names of the executions resumed.
   */
  /** Whether every running execution waits for a signal or a deadline (nothing is under way). */
  idle(): boolean {
    return this.rt.idle();
  }

  async resume(): Promise<string[]> {
    await this.open();
    const rt = this.rt;
    const resumed: string[] = [];
    for (const exec of rt.live.values()) {
      if (exec.record.status !== "RUNNING" || exec.segment) continue;
      resumed.push(exec.record.name);
      rt.armExecutionTimeout(exec);
      const current = exec.record.current;
      if (!current) {
        startSegment(rt, exec, rt.prepared.startAt, JSON.parse(exec.record.input) as JsonValue, false);
      } else {
        if (exec.record.wait && exec.record.wait.state !== current.state) rt.dropWait(exec);
        startSegment(rt, exec, current.state, current.input, true);
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
    const rt = this.rt;
    if (rt.closing) return;
    rt.closing = true;
    await this.ready.catch(() => {});
    for (const exec of rt.live.values()) {
      if (exec.segment) rt.detach(exec.segment);
      exec.executionTimer?.cancel();
    }
    await rt.store.close();
  }

  /** Billed state transitions of an execution so far (its `…StateEntered` events). */
  async stateTransitions(executionArn: string): Promise<number> {
    await this.open();
    return (await this.rt.load(executionArn)).transitions;
  }

  /** Engine runs this service started for a running execution (a long wait is carried across several); 0 once it ended. */
  engineRuns(executionArn: string): number {
    return this.rt.live.get(this.rt.nameOf(executionArn))?.engineRuns ?? 0;
  }

  private async init(): Promise<void> {
    const rt = this.rt;
    rt.TimeoutError = await statesTimeoutErrorClass();
    for (const r of await rt.store.loadAll()) {
      if (r.stateMachineArn !== this.stateMachineArn) continue;
      rt.summaries.set(r.name, summaryOf(r));
      if (r.status === "RUNNING") {
        rt.addLive(r);
        if (r.wait && !r.wait.result) rt.tokenIndex.set(r.wait.token, r.name);
      }
    }
  }

  private async open(): Promise<void> {
    if (this.rt.closing)
      throw new SfnServiceError("ServiceUnavailable", "the local Step Functions service is closed", 503);
    await this.ready;
  }
}
