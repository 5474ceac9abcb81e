import { SNSClient } from "@aws-sdk/client-sns";
import { SnsEventPublisher } from "../adapters/sns-event-publisher";
import type { EventPublisher } from "../ports/events";
import { loadEnv } from "./config";

/**
 * The escrow events topic, for an API request that announces what it
 * recorded (a piece of evidence): one attempt, bounded in time, since no API
 * call waits on SNS (API.md); what it cannot publish stays marked for the
 * reconciler. Events only: such a function may not publish ops alerts.
 */
const { EVENTS_TOPIC_ARN } = loadEnv(["EVENTS_TOPIC_ARN"]);
const publisher = new SnsEventPublisher(
  new SNSClient({ maxAttempts: 1, requestHandler: { connectionTimeout: 500, requestTimeout: 1500 } }),
  EVENTS_TOPIC_ARN,
);
export const announcements: Pick<EventPublisher, "publish"> = {
  publish: (event) => publisher.publish(event),
};
