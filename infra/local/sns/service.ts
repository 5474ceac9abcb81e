import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { JsonLinesLog } from "../json-lines-log";
import { Deliveries } from "./deliveries";
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
 * hands it to the subscribers' deliveries. wire.ts serves it over the AWS
 * Query protocol; the local Step Functions `sns:publish` integration calls it
 * directly.
 */

export const MAX_MESSAGE_BYTES = 256 * 1024;
const MAX_ATTRIBUTES = 10;
const DATA_TYPE = /^(String|Number|Binary|String\.Array)(\.[A-Za-z0-9_.-]+)?$/;

export const invalid = (m: string) => new SnsServiceError("InvalidParameter", `Invalid parameter: ${m}`);

export class LocalSns {
  private readonly now: () => number;
  private readonly messages: PublishedMessage[] = [];
  private readonly byEscrow = new Map<string, NotificationItem[]>();
  private readonly items: NotificationItem[] = [];
  private readonly log: JsonLinesLog<PublishedMessage>;
  private readonly deliveries: Deliveries;
  private readonly ready: Promise<void>;
  private closed = false;

  constructor(private readonly options: LocalSnsOptions) {
    this.now = options.now ?? Date.now;
    const report = (m: string, e: unknown) => this.report(m, e);
    this.log = new JsonLinesLog(
      join(options.dataDir, "sns", "messages.ndjson"),
      report,
      () => new SnsServiceError("ServiceUnavailable", "the message log is closed", 503),
    );
    this.deliveries = new Deliveries(
      (options.subscribers ?? []).map((s) => (typeof s === "string" ? { url: s } : s)),
      options.delivery ?? {},
      report,
    );
    this.ready = this.log.open().then((messages) => {
      for (const m of messages) this.remember(m);
    });
    this.ready.catch(() => {});
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
    this.deliveries.send(record);
    return { MessageId: record.messageId };
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

  /** Waits for the deliveries in flight (tests, graceful stop). */
  drain(): Promise<void> {
    return this.deliveries.drain();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.ready.catch(() => {});
    await this.deliveries.close();
    await this.log.close();
  }

  /** The message as the log keeps it, or the error SNS gives for the input. */
  private check(input: PublishInput): PublishedMessage {
    const topicArn = input.TopicArn ?? input.TargetArn;
    if (!topicArn) throw invalid("TopicArn or TargetArn Reason: no value for required parameter");
    if (!/^arn:[^:]+:sns:[^:]*:[^:]*:[^:]+$/.test(topicArn))
      throw invalid(`TopicArn Reason: ${topicArn} is not an ARN`);
    if (this.options.topics && !this.options.topics.includes(topicArn))
      throw new SnsServiceError("NotFound", "Topic does not exist", 404);
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
