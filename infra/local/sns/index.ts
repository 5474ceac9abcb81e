/**
 * Local SNS: the service and its durable message log (service.ts, on
 * ../json-lines-log.ts), HTTP(S) subscriptions (subscriptions.ts, filter-policy.ts),
 * signed deliveries and their log (signing.ts, deliveries.ts, delivery-log.ts), the
 * AWS Query protocol endpoint (wire.ts, query-actions.ts), `/_local/notifications`
 * (notifications-listener.ts) and `/_local/deliveries` (deliveries-listener.ts).
 */
export { DEFAULT_RETRY_DELAYS_MS, DEFAULT_TIMEOUT_MS } from "./deliveries";
export { createDeliveriesListener } from "./deliveries-listener";
export type { DeliveryAttempt } from "./delivery-log";
export { createNotificationsListener } from "./notifications-listener";
export { LocalSns } from "./service";
export {
  type LocalSnsOptions,
  type MessageAttributeValue,
  type NotificationItem,
  type PublishedMessage,
  type PublishInput,
  SnsServiceError,
} from "./types";
export {
  createSnsHttpServer,
  createSnsRequestListener,
  handleSnsQueryRequest,
  isQueryProtocolRequest,
  isSigningCertRequest,
  isSnsUrlRequest,
} from "./wire";
