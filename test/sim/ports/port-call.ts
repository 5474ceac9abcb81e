import { never, type Op, pause } from "../kernel/ops";
import type { Random } from "../kernel/random";
import type { Scheduler } from "../kernel/scheduler";
import type { FaultKind, FaultPlan, Target } from "./faults";

/**
 * One call of the service to a dependency, on the virtual clock: the request
 * is in flight for the dependency's latency, then lands (or not, as the fault
 * says), then the answer returns (late, for a slow one). A request in flight
 * lands even if its caller has died meanwhile; a dead caller never gets an
 * answer.
 */

export interface PortContext {
  scheduler: Scheduler;
  faults: FaultPlan;
  latency: Random;
  /** Called when a planned crash kills the operation at this call. */
  onCrash(op: Op): void;
  trace(op: Op | null, line: string): void;
}

/** Typical one-way latencies (ms): the request's flight time is drawn between them. */
const LATENCY: Record<Target, [number, number]> = {
  dynamodb: [2, 12],
  stepfunctions: [8, 40],
  sns: [8, 30],
  payments: [60, 600],
  lambda: [5, 60],
};

export interface CallSpec<T> {
  target: Target;
  operation: string;
  write: boolean;
  effect: () => T;
  /** The error the caller sees for a fault (named as the real SDK or provider names it). */
  failure: (kind: FaultKind) => Error;
  /** The answer of a call applied twice (default: the second application's). */
  repeat?: (first: T) => T;
}

export async function portCall<T>(ctx: PortContext, op: Op | null, spec: CallSpec<T>): Promise<T> {
  if (op?.dead) return never();
  if (op) {
    op.calls++;
    if (op.crashAtCall === op.calls) {
      // The process dies with this call in flight: it may or may not reach the dependency.
      const lands = ctx.latency.chance(0.5);
      ctx.trace(op, `crashes at ${spec.target}.${spec.operation}${lands ? " (the call lands)" : ""}`);
      op.dead = true;
      ctx.onCrash(op);
      if (lands) {
        await pause(ctx.scheduler, null, flight(ctx, spec.target), `${spec.target} in flight`);
        try {
          spec.effect();
        } catch {
          // the dead caller would never have seen it
        }
      }
      return never();
    }
  }
  const fault = ctx.faults.decide(spec.target, spec.operation, spec.write, ctx.scheduler.now);
  // A slow call is late either on its way (it lands late: a signal after its wait timed out) or on its way back.
  const lateRequest = fault === "slow" && ctx.latency.chance(0.5);
  const slowMs = fault === "slow" ? ctx.latency.logUniform(1_000, 45_000) : 0;
  await pause(
    ctx.scheduler,
    null,
    flight(ctx, spec.target) + (lateRequest ? slowMs : 0),
    `${spec.target}.${spec.operation}`,
  );
  let outcome: { value: T } | { error: unknown };
  if (fault === "error" || fault === "throttle" || fault === "crash") {
    outcome = { error: spec.failure(fault) };
  } else {
    try {
      const first = spec.effect();
      outcome = { value: fault === "duplicate" ? (spec.repeat ?? (() => spec.effect()))(first) : first };
      if (fault === "ambiguous") outcome = { error: spec.failure(fault) };
    } catch (error) {
      outcome = { error: fault === "ambiguous" ? spec.failure(fault) : error };
    }
  }
  if (fault) ctx.trace(op, `${spec.target}.${spec.operation}: ${fault}`);
  if (fault === "slow" && !lateRequest) await pause(ctx.scheduler, null, slowMs, "slow answer");
  if (op?.dead) return never();
  if ("error" in outcome) throw outcome.error;
  return outcome.value;
}

const flight = (ctx: PortContext, target: Target) => {
  const [lo, hi] = LATENCY[target];
  return ctx.latency.int(lo, hi);
};

/** Errors shaped as the AWS SDK raises them (name, HTTP status), so the service classes them as it would. */
export function awsError(name: string, status: number, message = name): Error {
  return Object.assign(new Error(message), {
    name,
    $metadata: { httpStatusCode: status },
    $fault: status >= 500 ? "server" : "client",
  });
}

/** The AWS services the service calls. */
export type AwsTarget = Extract<Target, "dynamodb" | "stepfunctions" | "sns">;

/** A throttled call's answer: the SDK error's name and message (status 400). */
const THROTTLED: Record<AwsTarget, [string, string]> = {
  dynamodb: ["ProvisionedThroughputExceededException", "Throughput exceeds the current capacity"],
  stepfunctions: ["ThrottlingException", "Rate exceeded"],
  sns: ["ThrottledException", "Rate exceeded"],
};
/** A failed call's answer: the SDK error's name, status and message. */
const FAILED: Record<AwsTarget, [string, number, string]> = {
  dynamodb: ["InternalServerError", 500, "Internal server error"],
  stepfunctions: ["ServiceUnavailable", 503, "Service unavailable"],
  sns: ["InternalErrorException", 500, "Internal error"],
};
/** What the SDK's TimeoutError says when a call gets no answer. */
const TIMED_OUT: Record<AwsTarget, string> = {
  dynamodb: "Connection timed out after 3000 ms",
  stepfunctions: "Connection timed out",
  sns: "socket hang up",
};

/**
 * How an AWS service fails, by fault kind: throttled and failed calls answer
 * (an SDK error with its status: nothing was done); an ambiguous one times out
 * with no answer (the SDK's TimeoutError).
 */
const awsFailure =
  (target: AwsTarget) =>
  (kind: FaultKind): Error =>
    kind === "throttle"
      ? awsError(THROTTLED[target][0], 400, THROTTLED[target][1])
      : kind === "ambiguous"
        ? Object.assign(new Error(TIMED_OUT[target]), { name: "TimeoutError" })
        : awsError(...FAILED[target]);

/**
 * An AWS service's port as one operation (null: none) sees it: the service's
 * state, shared by every operation, and each call made through portCall,
 * failing as that service fails.
 */
export abstract class AwsPort<Data> {
  protected abstract readonly target: AwsTarget;

  constructor(
    protected readonly data: Data,
    private readonly ctx: PortContext,
    protected readonly op: Op | null,
  ) {}

  protected call<T>(operation: string, write: boolean, effect: () => T): Promise<T> {
    const failure = awsFailure(this.target);
    return portCall(this.ctx, this.op, { target: this.target, operation, write, effect, failure });
  }
}
