import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { JsonLinesLog } from "../json-lines-log";
import { Deliveries } from "./deliveries";
import { type DeliveryAttempt, DeliveryLog } from "./delivery-log";
import { invalidParameter, notFound } from "./errors";
import { matchesFilterPolicy } from "./filter-policy";
import { SnsSigner } from "./signing";
import { type Subscription, SubscriptionStore } from "./subscriptions";
import {
  type LocalSnsOptions,
  type NotificationItem,
  type PublishedMessage,
  type PublishInput,
  SnsServiceError,
} from "./types";

/**
 * Local SNS: `publish()` checks a message as SNS does, appends it to a
 * durable log (`dataDir/sns/messages.ndjson`) and acknowledges it once it is
 * there (so a SIGKILL after the MessageId was returned loses nothing), then
 * hands it to the deliveries of every confirmed HTTP(S) subscription of its
 * topic whose filter policy lets it through. Subscriptions are made, confirmed
 * and ended as in SNS (subscriptions.ts), messages are signed with a local
 * certificate (signing.ts) and delivered with SNS's default HTTP(S) policy
 * (deliveries.ts). wire.ts serves it over the AWS Query protocol; the local
 * Step Functions `sns:publish` integration calls it directly.
 */

export const MAX_MESSAGE_BYTES = 256 * 1024;
const MAX_ATTRIBUTES = 10;
const DATA_TYPE = /^(String|Number|Binary|String\.Array)(\.[A-Za-z0-9_.-]+)?$/;

export const invalid = invalidParameter;

export class LocalSns {
  private readonly now: () => number;
  private readonly messages: PublishedMessage[] = [];
  private readonly byEscrow = new Map<string, NotificationItem[]>();
  private readonly items: NotificationItem[] = [];
  private readonly log: JsonLinesLog<PublishedMessage>;
  private readonly deliveryLog: DeliveryLog;
  private readonly subscriptions: SubscriptionStore;
  private deliveries?: Deliveries;
  private signer?: SnsSigner;
  private readonly ready: Promise<void>;
  private closed = false;

  constructor(private readonly options: LocalSnsOptions) {
    this.now = options.now ?? Date.now;
    const report = (m: string, e: unknown) => this.report(m, e);
    const dir = join(options.dataDir, "sns");
    this.log = new JsonLinesLog(
      join(dir, "messages.ndjson"),
      report,
      () => new SnsServiceError("ServiceUnavailable", "the message log is closed", 503),
    );
    this.deliveryLog = new DeliveryLog(join(dir, "deliveries.ndjson"), report);
    this.subscriptions = new SubscriptionStore(
      join(dir, "subscriptions.json"),
      options.account ?? "000000000000",
      this.now,
    );
    this.ready = this.open(dir);
    this.ready.catch(() => {});
  }

  private async open(dir: string): Promise<void> {
    const [messages] = await Promise.all([
      this.log.open(),
      this.deliveryLog.open(),
      this.subscriptions.open(this.options.subscribers ?? []),
    ]);
    for (const m of messages) this.remember(m);
    // Certificates keep real time (as tokens do): the service's clock may run years ahead.
    this.signer = await SnsSigner.open(join(dir, "signing"));
    const base = this.options.endpoint ?? (() => "http://127.0.0.1:3000");
    this.deliveries = new Deliveries(
      { base, signer: this.signer },
      this.deliveryLog,
      this.options.delivery ?? {},
      (m, e) => this.report(m, e),
    );
  }

  /** Publishes a message; resolves with its MessageId once it is in the log. */
  async publish(input: PublishInput): Promise<{ MessageId: string }> {
    if (this.closed) throw new SnsServiceError("ServiceUnavailable", "the local SNS service is closed", 503);
    // An injected outage: SNS's transient InternalError (HTTP 500), nothing published.
    if (this.options.faults?.check("sns", "Publish"))
      throw new SnsServiceError("InternalError", "injected fault: the message was not published", 500);
    await this.ready;
    const record = this.check(input);
    await this.log.append(record);
    this.remember(record);
    for (const { subscription, policy } of this.subscriptions.receivers(record.topicArn))
      if (!policy || matchesFilterPolicy(policy, record.attributes, record.attributeTypes))
        this.deliveries?.notify(subscription, record);
    return { MessageId: record.messageId };
  }

  /** ListTopics: every topic of the stack. */
  async listTopics(): Promise<string[]> {
    return [...(this.options.topics ?? [])];
  }

  /** Subscribe: a pending HTTP(S) subscription; its endpoint gets a SubscriptionConfirmation. */
  async subscribe(input: {
    TopicArn?: string;
    Protocol?: string;
    Endpoint?: string;
    Attributes?: Record<string, string>;
    ReturnSubscriptionArn?: boolean;
  }): Promise<{ SubscriptionArn: string }> {
    await this.ready;
    const topicArn = this.topic(input.TopicArn);
    if (!input.Protocol) throw invalidParameter("Protocol Reason: no value for required parameter");
    if (!input.Endpoint) throw invalidParameter("Endpoint Reason: no value for required parameter");
    const { subscription, created } = this.subscriptions.subscribe({
      topicArn,
      protocol: input.Protocol,
      endpoint: input.Endpoint,
      attributes: input.Attributes ?? {},
    });
    await this.subscriptions.flush();
    if (created) this.deliveries?.confirmSubscription(subscription);
    const arn =
      subscription.confirmed || input.ReturnSubscriptionArn ? subscription.arn : "pending confirmation";
    return { SubscriptionArn: arn };
  }

  /** ConfirmSubscription (also a GET of the message's SubscribeURL). */
  async confirmSubscription(input: {
    TopicArn?: string;
    Token?: string;
  }): Promise<{ SubscriptionArn: string }> {
    await this.ready;
    const topicArn = this.topic(input.TopicArn);
    if (!input.Token) throw invalidParameter("Token Reason: no value for required parameter");
    const subscription = this.subscriptions.confirm(topicArn, input.Token);
    await this.subscriptions.flush();
    return { SubscriptionArn: subscription.arn };
  }

  /** Unsubscribe (also a GET of a notification's UnsubscribeURL); the endpoint gets an UnsubscribeConfirmation. */
  async unsubscribe(input: { SubscriptionArn?: string }): Promise<void> {
    await this.ready;
    if (!input.SubscriptionArn)
      throw invalidParameter("SubscriptionArn Reason: no value for required parameter");
    const ended = this.subscriptions.unsubscribe(input.SubscriptionArn);
    await this.subscriptions.flush();
    this.deliveries?.unsubscribed(ended);
  }

  /** ListSubscriptions / ListSubscriptionsByTopic (every subscription, or a topic's). */
  async listSubscriptions(topicArn?: string): Promise<Subscription[]> {
    await this.ready;
    if (topicArn !== undefined) this.topic(topicArn);
    return this.subscriptions.list(topicArn);
  }

  async getSubscription(arn: string | undefined): Promise<Subscription> {
    await this.ready;
    if (!arn) throw invalidParameter("SubscriptionArn Reason: no value for required parameter");
    return this.subscriptions.get(arn);
  }

  async setSubscriptionAttribute(
    arn: string | undefined,
    name: string | undefined,
    value: string,
  ): Promise<void> {
    await this.ready;
    if (!arn) throw invalidParameter("SubscriptionArn Reason: no value for required parameter");
    if (!name) throw invalidParameter("AttributeName Reason: no value for required parameter");
    this.subscriptions.setAttribute(arn, name, value);
    await this.subscriptions.flush();
  }

  /** The signing certificate, under the file name that SigningCertURL carries. */
  async certificate(): Promise<{ fileName: string; pem: string }> {
    await this.ready;
    const signer = this.signer as SnsSigner;
    return { fileName: signer.certificateFileName, pem: signer.certificatePem };
  }

  /** The delivery attempts so far, oldest first (`/_local/deliveries`). */
  deliveryAttempts(filter: { escrowId?: string; subscriptionArn?: string } = {}): Promise<DeliveryAttempt[]> {
    return this.deliveryLog.list(filter);
  }

  /** A topic that exists, or SNS's NotFound. */
  private topic(arn: string | undefined): string {
    if (!arn) throw invalidParameter("TopicArn Reason: no value for required parameter");
    if (this.options.topics && !this.options.topics.includes(arn)) throw notFound("Topic does not exist");
    return arn;
  }

  /** The messages published so far, oldest first; only an escrow's when `escrowId` is given (matched on `event.escrowId`). */
  async list(filter: { escrowId?: string; topicArn?: string } = {}): Promise<{ items: NotificationItem[] }> {
    await this.ready;
    let items = filter.escrowId !== undefined ? (this.byEscrow.get(filter.escrowId) ?? []) : this.items;
    if (filter.topicArn !== undefined) {
      const ids = new Set(
        this.messages.filter((m) => m.topicArn === filter.topicArn).map((m) => m.messageId),
      );
      items = items.filter((i) => ids.has(i.messageId));
    }
    return { items: items.map((i) => ({ ...i, attributes: { ...i.attributes } })) };
  }

  /** Every message with all its fields, oldest first. */
  async all(): Promise<PublishedMessage[]> {
    await this.ready;
    return [...this.messages];
  }

  /** Waits for the deliveries in flight, their retries included (tests). */
  async drain(): Promise<void> {
    await this.ready;
    await this.deliveries?.drain();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.ready.catch(() => {});
    await this.deliveries?.close();
    await this.subscriptions.flush().catch((e) => this.report("could not save the subscriptions", e));
    await this.deliveryLog.close();
    await this.log.close();
  }

  /** The message as the log keeps it, or the error SNS gives for the input. */
  private check(input: PublishInput): PublishedMessage {
    const topicArn = input.TopicArn ?? input.TargetArn;
    if (!topicArn) throw invalid("TopicArn or TargetArn Reason: no value for required parameter");
    if (!/^arn:[^:]+:sns:[^:]*:[^:]*:[^:]+$/.test(topicArn))
      throw invalid(`TopicArn Reason: ${topicArn} is not an ARN`);
    if (this.options.topics && !this.options.topics.includes(topicArn))
      throw notFound("Topic does not exist");
    if (typeof input.Message !== "string" || input.Message.length === 0) throw invalid("Empty message");
    const attributes: Record<string, string> = {};
    const attributeTypes: Record<string, string> = {};
    const entries = Object.entries(input.MessageAttributes ?? {});
    if (entries.length > MAX_ATTRIBUTES)
      throw invalid(`Too many message attributes (at most ${MAX_ATTRIBUTES})`);
    let size = Buffer.byteLength(input.Message, "utf8");
    for (const [name, value] of entries) {
      if (!value || typeof value.DataType !== "string" || !DATA_TYPE.test(value.DataType))
        throw invalid(`The message attribute '${name}' has an invalid message attribute type`);
      let text: string | undefined;
      if (value.DataType.startsWith("Binary")) {
        const b = value.BinaryValue;
        text = b === undefined ? undefined : typeof b === "string" ? b : Buffer.from(b).toString("base64");
      } else {
        text = value.StringValue;
      }
      if (text === undefined || text === "")
        throw invalid(`The message attribute '${name}' must contain non-empty message attribute value`);
      if (value.DataType.startsWith("Number") && !Number.isFinite(Number(text)))
        throw invalid(`The message attribute '${name}' with type 'Number' must be a number`);
      attributes[name] = text;
      attributeTypes[name] = value.DataType;
      size +=
        Buffer.byteLength(name, "utf8") + Buffer.byteLength(value.DataType, "utf8") + Buffer.byteLength(text);
    }
    if (size > MAX_MESSAGE_BYTES) throw invalid("Message too long");
    return {
      messageId: randomUUID(),
      topicArn,
      message: input.Message,
      ...(input.Subject !== undefined ? { subject: input.Subject } : {}),
      attributes,
      attributeTypes,
      timestamp: new Date(this.now()).toISOString(),
    };
  }

  private remember(record: PublishedMessage): void {
    this.messages.push(record);
    let event: unknown = record.message;
    try {
      event = JSON.parse(record.message);
    } catch {
      // not JSON: keep the text
    }
    const item: NotificationItem = {
      messageId: record.messageId,
      attributes: record.attributes,
      event,
      timestamp: record.timestamp,
    };
    this.items.push(item);
    const escrowId =
      typeof event === "object" && event !== null ? (event as { escrowId?: unknown }).escrowId : undefined;
    if (typeof escrowId === "string") {
      const list = this.byEscrow.get(escrowId);
      if (list) list.push(item);
      else this.byEscrow.set(escrowId, [item]);
    }
  }

  private report(message: string, error: unknown): void {
    if (this.options.onError) this.options.onError(message, error);
    else console.error(`[local-sns] ${message}:`, error);
  }
}
