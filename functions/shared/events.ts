import { SNSClient } from "@aws-sdk/client-sns";
import { SnsEventPublisher } from "../adapters/sns-event-publisher";
import { loadEnv } from "./config";

/** The escrow events and ops alerts topics, for the tasks that announce what they did. */
const env = loadEnv(["EVENTS_TOPIC_ARN", "OPS_ALERTS_TOPIC_ARN"]);
export const events = new SnsEventPublisher(
  new SNSClient({}),
  env.EVENTS_TOPIC_ARN,
  env.OPS_ALERTS_TOPIC_ARN,
);

/**
 * The same topics for an API request that announces what it recorded: one
 * attempt, bounded in time, since no API call waits on SNS (API.md). What it
 * cannot publish stays marked for the reconciler.
 */
export const announcements = new SnsEventPublisher(
  new SNSClient({ maxAttempts: 1, requestHandler: { connectionTimeout: 500, requestTimeout: 1500 } }),
  env.EVENTS_TOPIC_ARN,
  env.OPS_ALERTS_TOPIC_ARN,
);
