import { routeOf, type WorkflowStep } from "../../../functions/domain/workflow-step";
import type { ExecutionStatus, WorkflowEngine, WorkflowStart } from "../../../functions/ports/workflow";
import type { AslDefinition } from "../asl/definition";
import { type AslHost, AslInterpreter, type Execution, type TaskInvocation } from "../asl/interpreter";
import { type Json, toJson } from "../asl/json";
import type { Random } from "../kernel/random";
import type { Scheduler } from "../kernel/scheduler";
import { AwsPort, awsError } from "./port-call";

/**
 * Step Functions: the escrow state machine's executions, run by the ASL
 * interpreter on the virtual clock, with the API the WorkflowEngine port
 * uses. As in AWS: a name is used once (a start of a running execution with
 * the same input succeeds again; any other repeat is ExecutionAlreadyExists),
 * a token answers once (then TaskTimedOut), and open executions are limited.
 */

export interface SimExecution extends Execution {
  tenantId: string;
  escrowId: string;
}

export class WorkflowData {
  readonly executions = new Map<string, SimExecution>();
  private readonly running = new Map<string, Set<string>>();
  private readonly interpreter: AslInterpreter;
  readonly dirty = new Set<string>();
  /** Executions by escrow, in the order they started (for the trace and the report). */
  readonly startedFor = new Map<string, string[]>();

  constructor(
    definition: AslDefinition,
    scheduler: Scheduler,
    random: Random,
    invoke: (task: TaskInvocation) => void,
    /** Open executions allowed (the account's quota, scaled to the simulation). */
    readonly quota: number,
    private readonly onEnded: (e: SimExecution) => void,
  ) {
    const host: AslHost = {
      now: () => scheduler.now,
      schedule: (ms, label, fn) => {
        const ev = scheduler.after(ms, label, fn);
        return {
          cancel: () => {
            ev.cancelled = true;
          },
        };
      },
      jitter: () => random.next(),
      invoke,
      transitionDelayMs: () => random.int(5, 60),
      ended: (e) => {
        const exec = e as SimExecution;
        if (this.running.get(exec.escrowId)?.delete(exec.name)) this.openCount--;
        this.dirty.add(exec.escrowId);
        this.onEnded(exec);
      },
    };
    this.interpreter = new AslInterpreter(definition, host);
  }

  runningFor(escrowId: string): string[] {
    return [...(this.running.get(escrowId) ?? [])];
  }

  /** Open executions in all. */
  openCount = 0;

  start(input: WorkflowStart): boolean {
    const body = toJson({ tenantId: input.tenantId, escrowId: input.escrowId, step: routeOf(input.step) });
    const existing = this.executions.get(input.name);
    if (existing)
      return existing.status === "RUNNING" && JSON.stringify(existing.input) === JSON.stringify(body);
    if (this.openCount >= this.quota)
      throw awsError("ExecutionLimitExceeded", 400, "Maximum number of running executions reached");
    const exec = this.interpreter.start(input.name, body) as SimExecution;
    exec.tenantId = input.tenantId;
    exec.escrowId = input.escrowId;
    this.executions.set(input.name, exec);
    const set = this.running.get(input.escrowId) ?? new Set<string>();
    set.add(input.name);
    this.running.set(input.escrowId, set);
    this.openCount++;
    this.startedFor.set(input.escrowId, [...(this.startedFor.get(input.escrowId) ?? []), input.name]);
    this.dirty.add(input.escrowId);
    return true;
  }

  sendTaskSuccess(token: string, output: Json) {
    return this.interpreter.sendTaskSuccess(token, output);
  }

  /** A running execution ended by something outside the workflow (a limit of the service, an operator). */
  stop(name: string, status: "FAILED" | "TIMED_OUT" | "ABORTED", cause: string): void {
    const exec = this.executions.get(name);
    if (exec)
      this.interpreter.stop(
        exec,
        status,
        status === "FAILED" ? "States.Runtime" : status === "TIMED_OUT" ? "States.Timeout" : "",
        cause,
      );
  }

  status(name: string): ExecutionStatus | null {
    return this.executions.get(name)?.status ?? null;
  }

  stoppedSince(since: number, status: ExecutionStatus): SimExecution[] {
    return [...this.executions.values()]
      .filter((e) => e.status === status && e.stoppedAt !== null && e.stoppedAt >= since)
      .sort((a, b) => (b.stoppedAt ?? 0) - (a.stoppedAt ?? 0));
  }
}

/** The WorkflowEngine port as one operation sees it: the Step Functions calls SfnWorkflow makes. */
export class SimWorkflow extends AwsPort<WorkflowData> implements WorkflowEngine {
  protected readonly target = "stepfunctions";

  start(input: WorkflowStart): Promise<boolean> {
    return this.call("StartExecution", true, () => this.data.start(input));
  }

  signal(token: string, step: WorkflowStep): Promise<boolean> {
    const output = toJson(routeOf(step));
    return this.call("SendTaskSuccess", true, () => this.data.sendTaskSuccess(token, output) === "ok");
  }

  status(name: string): Promise<ExecutionStatus | null> {
    return this.call("DescribeExecution", false, () => this.data.status(name));
  }

  executionArn(name: string): string {
    return `arn:aws:states:us-east-1:000000000000:execution:escrow:${name}`;
  }
}
