import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidToken,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from "@aws-sdk/client-sfn";
import { routeOf, type WorkflowStep } from "../domain/workflow-step";

export { INITIAL_STEP } from "../domain/workflow-step";

import type { ExecutionStatus, WorkflowEngine, WorkflowStart } from "../ports/workflow";

export class SfnWorkflow implements WorkflowEngine {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {
    if (!stateMachineArn.startsWith("arn:")) throw new Error("STATE_MACHINE_ARN is not configured");
  }

  async start(input: WorkflowStart): Promise<boolean> {
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: input.name,
          input: JSON.stringify({
            tenantId: input.tenantId,
            escrowId: input.escrowId,
            step: routeOf(input.step),
          }),
        }),
      );
      return true;
    } catch (error) {
      // Same name: that execution already exists (running or finished). Nothing to do.
      if (error instanceof ExecutionAlreadyExists) return false;
      throw error;
    }
  }

  async signal(token: string, step: WorkflowStep): Promise<boolean> {
    try {
      await this.client.send(
        new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(routeOf(step)) }),
      );
      return true;
    } catch (error) {
      if (error instanceof TaskTimedOut || error instanceof InvalidToken || error instanceof TaskDoesNotExist)
        return false;
      throw error;
    }
  }

  async status(name: string): Promise<ExecutionStatus | null> {
    try {
      const out = await this.client.send(
        new DescribeExecutionCommand({ executionArn: this.executionArn(name) }),
      );
      return (out.status as ExecutionStatus | undefined) ?? null;
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return null;
      throw error;
    }
  }

  executionArn(name: string): string {
    return `${this.stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
  }
}
