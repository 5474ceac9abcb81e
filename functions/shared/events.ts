import { SNSClient } from "@aws-sdk/client-sns";
import { SnsEventPublisher } from "../adapters/sns-event-publisher";
import { loadEnv } from "./config";

/** The escrow events and ops alerts topics, for the tasks that announce what they did. */
const env = loadEnv(["EVENTS_TOPIC_ARN", "OPS_ALERTS_TOPIC_ARN", "OPS_CONSOLE_URL"]);
export const events = new SnsEventPublisher(
  new SNSClient({}),
  env.EVENTS_TOPIC_ARN,
  env.OPS_ALERTS_TOPIC_ARN,
  env.OPS_CONSOLE_URL,
);
