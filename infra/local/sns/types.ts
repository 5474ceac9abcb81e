import type { FaultPoint } from "../../../functions/adapters/local-hooks";
import { AwsServiceError } from "../service-error";

/** Shapes of the local SNS: what a publish takes, what the log keeps, who is notified. */

export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  /** Base64 text (from the Query protocol) or bytes (from a direct call). */
  BinaryValue?: string | Uint8Array;
}

export interface PublishInput {
  TopicArn?: string;
  TargetArn?: string;
  Message?: string;
  Subject?: string;
  MessageStructure?: string;
  MessageAttributes?: Record<string, MessageAttributeValue>;
  MessageGroupId?: string;
  MessageDeduplicationId?: string;
  [other: string]: unknown;
}

/** One line of the message log. */
export interface PublishedMessage {
  messageId: string;
  topicArn: string;
  message: string;
  subject?: string;
  /** name → string value (Binary as base64). */
  attributes: Record<string, string>;
  /** name → DataType. */
  attributeTypes: Record<string, string>;
  /** ISO 8601. */
  timestamp: string;
}

export interface NotificationItem {
  messageId: string;
  attributes: Record<string, string>;
  /** The parsed message body (the raw text when it is not JSON). */
  event: unknown;
  /** When SNS accepted the message (SNS's own `Timestamp`): a reminder's arrival can be checked against it. */
  timestamp: string;
}

export interface Subscriber {
  url: string;
  /** Only this topic's messages (default: every topic). */
  topicArn?: string;
  /** Exact-match filter on message attributes: name → accepted values. */
  filterPolicy?: Record<string, string[]>;
  /** Post the message body alone, as with SNS raw message delivery. */
  raw?: boolean;
}

export interface DeliveryOptions {
  /** Delivery attempts per subscriber (default 3). */
  attempts?: number;
  /** First back-off (default 500 ms, doubled each attempt). */
  backoffMs?: number;
  /** Per-attempt timeout (default 5 s). */
  timeoutMs?: number;
}

export interface LocalSnsOptions {
  dataDir: string;
  /** Topics that exist; when given, a publish to any other fails with NotFound. */
  topics?: string[];
  /** Subscriber URLs (or full subscriber specs). */
  subscribers?: Array<string | Subscriber>;
  delivery?: DeliveryOptions;
  /** Injected failures (`/_local/faults`, target `sns`, operation `Publish`): the publish fails, nothing is kept. */
  faults?: FaultPoint;
  now?: () => number;
  onError?: (message: string, error: unknown) => void;
}

/** An error of the SNS API; `code` is the Query protocol's (InvalidParameter: the SDK raises InvalidParameterException). */
export class SnsServiceError extends AwsServiceError {}
