import type { ExecutionStatus } from "./workflow";

/** An event of an execution's history as ops see it (API.md v1.2: `execution.recent`). */
export interface ExecutionEvent {
  at: string;
  type: string;
  /** The state the event entered or left, when it names one. */
  state?: string;
}

export interface ExecutionSummary {
  status: ExecutionStatus;
  startedAt: string;
  /** The last events of its history, oldest first. */
  recent: ExecutionEvent[];
}

/** Reads one workflow execution for the ops view (Step Functions' DescribeExecution and GetExecutionHistory). */
export interface ExecutionReader {
  /** The execution and its last `recent` events; null when there is no such execution. */
  read(executionArn: string, recent: number): Promise<ExecutionSummary | null>;
}
