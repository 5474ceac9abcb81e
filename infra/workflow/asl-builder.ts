/**
 * A small typed builder for the escrow workflow's Amazon States Language
 * (ARCHITECTURE.md v1.2 decision 6). The definition is written once in
 * TypeScript (escrow-definition.ts, and each kind's workflow.ts) and
 * rendered to statemachines/escrow.asl.json, the file CDK loads and ops read
 * in the console: one Retry policy, and every Choice built from route tables
 * total over their step outcomes (routes.ts), so a missing or extra route
 * fails to compile.
 */

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath: string;
}

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: "FULL" | "NONE";
}

export type State = { Type: string; Comment: string } & Record<string, Json | undefined>;

/**
 * Errors no retry can change: the workflow routes them (a continuation's
 * resume, a declined payment, a payout refused for good, a step with no route).
 */
export const PERMANENT_ERRORS = ["ResumeFromRecord", "PaymentDeclined", "PayoutRejected", "UnexpectedStep"];

/**
 * The one Retry policy (ARCHITECTURE.md v1.2 decision 3: transient means
 * retry, forever). Anything but a permanent error is retried with capped,
 * jittered backoff — a dependency down for an hour costs a dozen retries — and
 * never ends the execution; the reconciler tells ops when a step has not moved
 * for 15 minutes. `States.TaskFailed` leaves `States.Timeout` to the wait's
 * Catch. AWS's largest MaxAttempts.
 */
export const RETRY_FOREVER: Retrier = {
  ErrorEquals: ["States.TaskFailed"],
  IntervalSeconds: 1,
  MaxAttempts: 99_999_999,
  BackoffRate: 2,
  MaxDelaySeconds: 300,
  JitterStrategy: "FULL",
};

/**
 * The one exception: a hold the provider cannot take is retried a few times
 * and then fails (API.md: `pm_sandbox_unavailable` ends `CANCELLED`,
 * `payment_unavailable`); nothing is held, so giving up loses nothing.
 */
export const HOLD_UNAVAILABLE: Retrier = {
  ErrorEquals: ["PaymentUnavailable"],
  IntervalSeconds: 2,
  MaxAttempts: 3,
  BackoffRate: 2,
};

const retryPolicy = (extra: Retrier[]): Retrier[] => [
  { ErrorEquals: PERMANENT_ERRORS, MaxAttempts: 0 },
  ...extra,
  RETRY_FOREVER,
];

/** What every task returns to the workflow: the step, kept small. */
const STEP_SELECTOR = {
  "outcome.$": "$.Payload.outcome",
  "version.$": "$.Payload.version",
  "timeoutSeconds.$": "$.Payload.timeoutSeconds",
} as const;

/** Every task names its escrow and the execution it runs in (an execution the record no longer names ends without acting). */
const REF = {
  "tenantId.$": "$.tenantId",
  "escrowId.$": "$.escrowId",
  "execution.$": "$$.Execution.Name",
} as const;

const catcher = (errors: string[], next: string, resultPath = "$.error"): Catcher => ({
  ErrorEquals: errors,
  Next: next,
  ResultPath: resultPath,
});

export interface TaskOptions {
  comment: string;
  /** The definition substitution of the task's function: `${<Name>FunctionArn}`. */
  fn: string;
  /** Payload beside the escrow reference. */
  payload?: Record<string, Json>;
  next: string | "End";
  /** Errors routed elsewhere, in order (before the catch-all). */
  catches?: [string[], string][];
  /** Extra retriers before the retry-forever one. */
  retry?: Retrier[];
}

/** A definition substitution (`${name}`), which CDK replaces with the task function's ARN. */
export const substitution = (name: string) => `\${${name}}`;

/** Where anything that is neither retried nor routed goes: ops decide. */
export const ESCALATE = "EscalateToOps";

/** A Lambda task (lambda:invoke) that returns the step the record dictates. */
export function lambdaTask(o: TaskOptions): State {
  return {
    Type: "Task",
    Comment: o.comment,
    Resource: "arn:aws:states:::lambda:invoke",
    Parameters: {
      FunctionName: substitution(`${o.fn}FunctionArn`),
      Payload: { ...REF, ...(o.payload ?? {}) },
    },
    ResultSelector: { ...STEP_SELECTOR },
    ResultPath: "$.step",
    Retry: retryPolicy(o.retry ?? []) as unknown as Json,
    Catch: [
      ...(o.catches ?? []).map(([errors, next]) => catcher(errors, next)),
      catcher(["States.ALL"], ESCALATE),
    ] as unknown as Json,
    ...(o.next === "End" ? { End: true } : { Next: o.next }),
  };
}

/**
 * A human wait (lambda:invoke.waitForTaskToken): the task stores the token;
 * the action that ends the wait signals the next step; the wait's timeout
 * comes from the step (`TimeoutSecondsPath`) and its `States.Timeout` goes to
 * the task that applies the deadline.
 */
export function waitTask(o: { comment: string; next: string; onTimeout: string }): State {
  return {
    Type: "Task",
    Comment: o.comment,
    Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
    Parameters: {
      FunctionName: substitution("BeginWaitFunctionArn"),
      Payload: { ...REF, "seenVersion.$": "$.step.version", "taskToken.$": "$$.Task.Token" },
    },
    TimeoutSecondsPath: "$.step.timeoutSeconds",
    ResultPath: "$.step",
    Retry: retryPolicy([]) as unknown as Json,
    Catch: [
      catcher(["States.Timeout"], o.onTimeout, "$.timeout"),
      catcher(["States.ALL"], ESCALATE),
    ] as unknown as Json,
    Next: o.next,
  };
}

/** Where an outcome goes from a Choice: a state, or nowhere (`UNEXPECTED`: ops are asked). */
export const UNEXPECTED = "UnexpectedStep";

/**
 * A Choice on `$.step.outcome`: the routed outcomes (routes.ts composes them
 * from its tables), each to its state; every other outcome takes the
 * Default, UnexpectedStep.
 */
export function choice(comment: string, routes: Readonly<Record<string, string>>): State {
  return {
    Type: "Choice",
    Comment: comment,
    Choices: Object.entries(routes)
      .filter(([, next]) => next !== UNEXPECTED)
      .map(([outcome, next]) => ({ Variable: "$.step.outcome", StringEquals: outcome, Next: next })),
    Default: UNEXPECTED,
  };
}

/** The errors a hold ends with when it cannot be taken (declined, or the provider stayed unavailable). */
export const PAYMENT_FAILED = ["PaymentDeclined", "PaymentUnavailable"];

/** A wait and the task that applies its deadline, both routed by one Choice. */
export function waitWithDeadline(o: {
  wait: string;
  waitComment: string;
  ended: string;
  endedComment: string;
  route: string;
}): Record<string, State> {
  return {
    [o.wait]: waitTask({ comment: o.waitComment, next: o.route, onTimeout: o.ended }),
    [o.ended]: lambdaTask({
      comment: o.endedComment,
      fn: "ApplyDeadline",
      payload: { "seenVersion.$": "$.step.version" },
      next: o.route,
    }),
  };
}

/** A task that moves money (SettleEscrow); a payout refused for good goes to ops. */
export const settleTask = (comment: string, next: string | "End"): State =>
  lambdaTask({ comment, fn: "SettleEscrow", next, catches: [[["PayoutRejected"], ESCALATE]] });

/** Every state a definition's Next, Default, Catch and Choice names exists, and every state is reachable. */
export function checkGraph(startAt: string, states: Record<string, State>): string[] {
  const problems: string[] = [];
  const targets = (s: State): string[] => {
    const out: string[] = [];
    if (typeof s.Next === "string") out.push(s.Next);
    if (typeof s.Default === "string") out.push(s.Default);
    for (const c of (s.Catch as unknown as Catcher[] | undefined) ?? []) out.push(c.Next);
    for (const c of (s.Choices as unknown as { Next: string }[] | undefined) ?? []) out.push(c.Next);
    return out;
  };
  for (const [name, s] of Object.entries(states))
    for (const t of targets(s))
      if (!(t in states)) problems.push(`${name} goes to ${t}, which does not exist`);
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name) || !(name in states)) return;
    seen.add(name);
    for (const t of targets(states[name] as State)) visit(t);
  };
  visit(startAt);
  for (const name of Object.keys(states)) if (!seen.has(name)) problems.push(`${name} is never reached`);
  return problems;
}
