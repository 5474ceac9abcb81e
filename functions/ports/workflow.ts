import type { WorkflowStep } from "../domain/workflow-step";

export interface WorkflowInput {
  tenantId: string;
  escrowId: string;
}

export interface WorkflowEngine {
  /** Starts the escrow's execution (named after the escrow); starting it again is harmless. */
  start(input: WorkflowInput): Promise<void>;
  /**
   * Ends a wait with `step`. Returns false when the token is no longer
   * waiting (already used, or timed out): the record then decides.
   */
  signal(token: string, step: WorkflowStep): Promise<boolean>;
}
