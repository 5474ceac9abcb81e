import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { EscrowEvent } from "../domain/events";
import type { OpsAlert } from "../domain/workflow-step";
import type { EventPublisher } from "../ports/events";

/**
 * Escrow events and ops alerts on their SNS topics, with the `type` and
 * `tenantId` message attributes marketplaces filter on. The event id is
 * stable per escrow and version, so a repeated publish is the same event.
 */
export class SnsEventPublisher implements EventPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly eventsTopicArn: string,
    /** Absent for a publisher of escrow events only. */
    private readonly opsAlertsTopicArn?: string,
    /** The ops console's URL (ending `/ops/`): each alert links to its escrow's page under it. */
    private readonly opsConsoleUrl?: string,
  ) {}

  publish(event: EscrowEvent): Promise<void> {
    return this.send(this.eventsTopicArn, event);
  }

  alert(alert: OpsAlert): Promise<void> {
    if (!this.opsAlertsTopicArn) return Promise.reject(new Error("this publisher has no ops-alerts topic"));
    const consoleUrl = `${this.opsConsoleUrl ?? "/ops/"}escrows/${alert.escrowId}`;
    return this.send(this.opsAlertsTopicArn, { ...alert, consoleUrl });
  }

  private async send(
    topicArn: string,
    body: { type: string; tenantId: string; consoleUrl?: string },
  ): Promise<void> {
    await this.client.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: JSON.stringify(body),
        MessageAttributes: {
          type: { DataType: "String", StringValue: body.type },
          tenantId: { DataType: "String", StringValue: body.tenantId },
        },
      }),
    );
  }
}
