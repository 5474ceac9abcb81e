import type { WorkflowStep } from "../domain/workflow-step";

export interface WorkflowStart {
  tenantId: string;
  escrowId: string;
  /** The execution's name (see `executionNames`): starting one twice is refused by Step Functions itself. */
  name: string;
  /** Where the execution starts: `created` takes the hold; anything else resumes from the record. */
  step: WorkflowStep;
}

export type ExecutionStatus =
  | "RUNNING"
  | "SUCCEEDED"
  | "FAILED"
  | "TIMED_OUT"
  | "ABORTED"
  | "PENDING_REDRIVE";

export interface WorkflowEngine {
  /** Starts an execution; false when one of that name already exists (nothing to do). */
  start(input: WorkflowStart): Promise<boolean>;
  /**
   * Ends a wait with `step`. Returns false when the token is no longer
   * waiting (already used, or timed out): the record then decides.
   */
  signal(token: string, step: WorkflowStep): Promise<boolean>;
  /** The status of the named execution, or null when there is none. */
  status(name: string): Promise<ExecutionStatus | null>;
  /** The ARN of the named execution (for the ops view). */
  executionArn(name: string): string;
}
