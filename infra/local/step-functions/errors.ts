import "../polyfills";
import { StateMachine } from "aws-local-stepfunctions";
import { AwsServiceError } from "../service-error";

/** An error of the Step Functions API; `code` is the exception name the SDK raises. */
export class SfnServiceError extends AwsServiceError {}

export const invalidToken = (m = "Invalid Token") => new SfnServiceError("InvalidToken", m);
export const taskTimedOut = () =>
  new SfnServiceError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'");
export const executionDoesNotExist = (arn: string) =>
  new SfnServiceError("ExecutionDoesNotExist", `Execution Does Not Exist: '${arn}'`);
export const stateMachineDoesNotExist = (arn: unknown) =>
  new SfnServiceError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${String(arn)}'`);
export const validation = (m: string) => new SfnServiceError("ValidationException", m);
export const serviceClosed = (m = "the service is closed") =>
  new SfnServiceError("ServiceUnavailable", m, 503);

/** An error that Retry/Catch never match: the run ends (States.Runtime, or our own detach). */
export class UncatchableError extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export const detachedError = () => new UncatchableError("Local.Detached", "this engine run was detached");

/** The error a Task fails with: `name` is what Retry/Catch match, `message` the cause. */
export function taskError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}

/** The error a throwing Lambda handler surfaces as, shaped like Lambda's (Error = errorType, Cause = JSON). */
export function lambdaError(thrown: unknown): Error {
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
export function statesTimeoutErrorClass(): Promise<new () => Error> {
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
