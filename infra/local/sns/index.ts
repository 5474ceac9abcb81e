/**
 * Local SNS: the service and its durable message log (service.ts, on
 * ../json-lines-log.ts), HTTP subscribers (deliveries.ts), the AWS Query protocol
 * endpoint (wire.ts) and `/_local/notifications` (notifications-listener.ts).
 */
export { notificationOf } from "./deliveries";
export { createNotificationsListener } from "./notifications-listener";
export { LocalSns } from "./service";
export {
  type LocalSnsOptions,
  type MessageAttributeValue,
  type NotificationItem,
  type PublishedMessage,
  type PublishInput,
  SnsServiceError,
  type Subscriber,
} from "./types";
export {
  createSnsHttpServer,
  createSnsRequestListener,
  handleSnsQueryRequest,
  isQueryProtocolRequest,
} from "./wire";
