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

export interface DeliveryOptions {
  /** The delays before each retry (default SNS's HTTP(S) policy: 3 retries, 20 s apart). */
  retryDelaysMs?: number[];
  /** How long an attempt waits for the endpoint's answer (default 15 s). */
  timeoutMs?: number;
  /** How a delay between attempts is waited (tests pass one that need not wait in real time). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Real time: the envelope's Timestamp and each attempt's `at` (default Date.now, never the service's clock). */
  now?: () => number;
}

export interface LocalSnsOptions {
  dataDir: string;
  /** Topics that exist; when given, a publish to any other fails with NotFound. */
  topics?: string[];
  /** Confirmed HTTP(S) subscriptions from the start (ESCROW_LOCAL_SUBSCRIBERS), not saved. */
  subscribers?: { url: string; topicArn: string }[];
  delivery?: DeliveryOptions;
  /** The service's base URL, for SigningCertURL, SubscribeURL and UnsubscribeURL (known once it listens). */
  endpoint?: () => string;
  /** The account that owns subscriptions. */
  account?: string;
  /** Injected failures (`/_local/faults`, target `sns`, operation `Publish`): the publish fails, nothing is kept. */
  faults?: FaultPoint;
  now?: () => number;
  onError?: (message: string, error: unknown) => void;
}

/** An error of the SNS API; `code` is the Query protocol's (InvalidParameter: the SDK raises InvalidParameterException). */
export class SnsServiceError extends AwsServiceError {}
