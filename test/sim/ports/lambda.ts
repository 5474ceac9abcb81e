import type { TaskResult } from "../asl/interpreter";
import { toJson } from "../asl/json";
import { Op, type OpKind } from "../kernel/ops";
import type { Random } from "../kernel/random";
import type { Scheduler } from "../kernel/scheduler";
import type { FaultPlan } from "./faults";

/**
 * Lambda: one invocation of the service's code is an operation on the clock.
 * It may be throttled or refused before it runs, die at one of its calls to
 * a port (the crash of a host; the call may land) or after its last one (the
 * answer is lost), or run past its timeout (killed: nothing it would do after
 * happens). Its answer, or its error as Lambda reports it (errorType = the
 * error's name), is what Step Functions or API Gateway receive.
 */

export interface LambdaSpec {
  kind: OpKind;
  functionId: string;
  label: string;
  escrowId: string | null;
  timeoutMs: number;
  body: (op: Op) => Promise<unknown>;
}

export class LambdaRuntime {
  private nextId = 1;
  private readonly crashes = new Map<Op, () => void>();
  readonly live = new Set<Op>();

  constructor(
    private readonly scheduler: Scheduler,
    private readonly faults: FaultPlan,
    private readonly random: Random,
    private readonly maxSkewMs: number,
    private readonly trace: (op: Op | null, line: string) => void,
  ) {}

  /** A crash planned at a port call has killed `op`: its invoker hears of it shortly. */
  crashed(op: Op): void {
    this.crashes.get(op)?.();
  }

  /** Starts one invocation: its operation, and its answer or its error (never a rejection). */
  invoke(spec: LambdaSpec): { op: Op; done: Promise<TaskResult> } {
    const skew = this.maxSkewMs > 0 ? this.random.int(-this.maxSkewMs, this.maxSkewMs) : 0;
    const op = new Op(this.nextId++, spec.kind, spec.label, spec.escrowId, skew);
    const fault = this.faults.decide("lambda", spec.functionId, true, this.scheduler.now);
    // A cold start now and then.
    const startMs = this.random.chance(0.05) ? this.random.int(200, 1_500) : this.random.int(3, 30);
    const done = new Promise<TaskResult>((resolve) => {
      let timeout: { cancelled: boolean } | null = null;
      const finish = (result: TaskResult) => {
        if (op.done) return;
        op.done = true;
        this.live.delete(op);
        this.crashes.delete(op);
        if (timeout) timeout.cancelled = true;
        resolve(result);
      };
      this.scheduler.after(startMs, `start ${spec.label}`, () => {
        if (fault === "throttle" || fault === "error") {
          this.trace(op, `${spec.functionId} invocation ${fault === "throttle" ? "throttled" : "refused"}`);
          finish(
            lambdaError(fault === "throttle" ? "Lambda.TooManyRequestsException" : "Lambda.ServiceException"),
          );
          return;
        }
        if (fault === "crash") op.crashAtCall = this.random.int(1, 12);
        this.live.add(op);
        this.crashes.set(op, () =>
          this.scheduler.after(this.random.int(1, 100), `${spec.label} crash reported`, () =>
            finish(lambdaError("Runtime.ExitError", "the process exited")),
          ),
        );
        timeout = this.scheduler.after(spec.timeoutMs, `${spec.label} times out`, () => {
          if (op.done) return;
          op.dead = true;
          this.trace(op, `${spec.functionId} timed out after ${spec.timeoutMs} ms`);
          finish(lambdaError("Sandbox.Timedout", `Task timed out after ${spec.timeoutMs / 1000} seconds`));
        });
        spec.body(op).then(
          (result) => {
            if (op.dead) return;
            if (fault === "crash") {
              // It did all it would do, and died before answering.
              op.dead = true;
              this.trace(op, `${spec.functionId} crashed after its last call`);
              finish(lambdaError("Runtime.ExitError", "the process exited"));
            } else finish({ output: toJson(result) });
          },
          (error: unknown) => {
            if (op.dead) return;
            const e = error as Error;
            finish(lambdaError(e?.name || "Error", e?.message ?? String(error)));
          },
        );
      });
    });
    return { op, done };
  }
}

/** A Lambda error as Step Functions sees it: Error is the errorType, Cause the JSON Lambda reports. */
export function lambdaError(errorType: string, errorMessage = ""): TaskResult {
  return { error: errorType, cause: JSON.stringify({ errorType, errorMessage, trace: [] }) };
}
