import { SFNClient } from "@aws-sdk/client-sfn";
import { SfnWorkflow } from "../adapters/sfn-workflow";
import { loadEnv } from "./config";

/** Step Functions, for the functions that start executions or end waits (fails at cold start without its ARN). */
export const workflow = new SfnWorkflow(new SFNClient({}), loadEnv(["STATE_MACHINE_ARN"]).STATE_MACHINE_ARN);
