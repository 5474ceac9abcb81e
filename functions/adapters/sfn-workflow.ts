import {
  ExecutionAlreadyExists,
  InvalidToken,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from "@aws-sdk/client-sfn";
import type { WorkflowStep } from "../domain/workflow-step";
import type { WorkflowEngine, WorkflowInput } from "../ports/workflow";

/** The step an execution starts from: nothing seen but the creation (version 1). */
export const INITIAL_STEP: WorkflowStep = {
  outcome: "created",
  version: 1,
  event: null,
  timeoutSeconds: 1,
  alert: null,
};

export class SfnWorkflow implements WorkflowEngine {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string | undefined,
  ) {}

  async start(input: WorkflowInput): Promise<void> {
    if (!this.stateMachineArn) throw new Error("STATE_MACHINE_ARN is not configured for this function");
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          // Execution name = escrow id: ops find the escrow in the console by its id, and a second start is refused.
          name: input.escrowId,
          input: JSON.stringify({ tenantId: input.tenantId, escrowId: input.escrowId, step: INITIAL_STEP }),
        }),
      );
    } catch (error) {
      // Same name: this escrow's execution already exists (running or finished). Nothing to do.
      if (!(error instanceof ExecutionAlreadyExists)) throw error;
    }
  }

  async signal(token: string, step: WorkflowStep): Promise<boolean> {
    try {
      await this.client.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(step) }));
      return true;
    } catch (error) {
      if (error instanceof TaskTimedOut || error instanceof InvalidToken || error instanceof TaskDoesNotExist)
        return false;
      throw error;
    }
  }
}
