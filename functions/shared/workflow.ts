import { SFNClient } from "@aws-sdk/client-sfn";
import { SfnWorkflow } from "../adapters/sfn-workflow";

/** Step Functions, for the functions that start executions or end waits. */
export const workflowEngine = (stateMachineArn?: string) =>
  new SfnWorkflow(new SFNClient({}), stateMachineArn);
