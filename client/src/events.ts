import type { components } from "./generated/openapi.js";
import type { SnsMessage } from "./verify-sns-message.js";

/** An escrow event (the escrow events topic) and an ops alert (the ops-alerts topic), as the API documents them. */
export type EscrowEvent = components["schemas"]["EscrowEvent"];
export type OpsAlert = components["schemas"]["OpsAlert"];
export type Escrow = components["schemas"]["Escrow"];
export type Problem = components["schemas"]["Problem"];

/**
 * The event a verified notification carries (its `Message`). Verify first
 * (verifySnsMessage): this only reads. Dedupe by the event's `id`: SNS
 * delivers at least once.
 */
export function eventOf<E extends { id: string; type: string } = EscrowEvent>(message: SnsMessage): E {
  if (message.Type !== "Notification") throw new Error(`a ${message.Type} carries no event`);
  const event = JSON.parse(message.Message) as E;
  if (typeof event?.id !== "string" || typeof event.type !== "string")
    throw new Error("the notification's Message is not an event");
  return event;
}
