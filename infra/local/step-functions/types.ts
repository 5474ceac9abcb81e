import type { FaultPoint } from "../../../functions/adapters/local-hooks";

/** Types of the local Step Functions service: its options, its API's shapes and what it keeps on disk. */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

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
  /**
   * IAM for the state machine's role: the error a Task fails with when the
   * role may not invoke the function (its ARN, or the name the Task gives), else undefined.
   */
  authorizeInvoke?: (functionName: string) => Error | undefined;
  /**
   * Injected failures (`/_local/faults`): task Lambda invocations (target `lambda`, operation `Invoke`)
   * fail with `Lambda.ServiceException` before the handler runs.
   */
  faults?: FaultPoint;
  /** Clock for timestamps and deadlines (epoch ms). Defaults to `Date.now`. */
  now?: () => number;
  /**
   * Arms a timer at a time of `now` (wait deadlines, the execution's timeout). Defaults to timers that
   * follow `now` as real time passes; the local service passes its clock's, which also fire when the
   * clock is moved.
   */
  timers?: (at: number, fire: () => void) => { cancel(): void };
  /**
   * Multiplies every Retry's IntervalSeconds and MaxDelaySeconds (default 1: as written). Tests lower it
   * so that a retried step's back-off takes milliseconds (`ESCROW_LOCAL_RETRY_SCALE`).
   */
  retryScale?: number;
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

/** An execution as ListExecutions shows it. */
export type ExecutionListItem = Pick<
  ExecutionDescription,
  "executionArn" | "stateMachineArn" | "name" | "status" | "startDate" | "stopDate" | "redriveCount"
>;

export interface StateMachineDescription {
  stateMachineArn: string;
  name: string;
  status: "ACTIVE";
  definition: string;
  roleArn: string;
  type: "STANDARD";
  creationDate: Date;
}

export interface StateMachineListItem {
  stateMachineArn: string;
  name: string;
  type: "STANDARD";
  creationDate: Date;
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
export interface StoredEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

export type WaitResult = { output: string } | { error: string; cause: string; timedOut?: boolean };

export interface WaitRecord {
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

/** One execution as it is kept on disk (one JSON file each). */
export interface ExecutionRecord {
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

/** What ListExecutions needs of every execution, kept in memory. */
export interface Summary {
  name: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
}
