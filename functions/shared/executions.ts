import { SFNClient } from "@aws-sdk/client-sfn";
import { SfnExecutions } from "../adapters/sfn-executions";
import { loadEnv } from "./config";

/** Step Functions read for the ops view, and where ops open an execution (fails at cold start without it). */
const env = loadEnv(["EXECUTION_CONSOLE_URL"]);
export const executions = new SfnExecutions(new SFNClient({}));
export const executionConsoleUrl = (executionArn: string): string =>
  env.EXECUTION_CONSOLE_URL.replace("{executionArn}", executionArn);
