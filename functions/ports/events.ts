import type { EscrowEvent } from "../domain/events";
import type { OpsAlert } from "../domain/workflow-step";

/** Where escrow events and ops alerts go (SNS in AWS). A publish never moves money. */
export interface EventPublisher {
  publish(event: EscrowEvent): Promise<void>;
  alert(alert: OpsAlert): Promise<void>;
}
