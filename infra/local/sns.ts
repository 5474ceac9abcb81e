/**
 * Local SNS: `Publish` over the AWS Query protocol (so an unmodified
 * `@aws-sdk/client-sns` works through `AWS_ENDPOINT_URL_SNS`), a direct
 * `publish()` for the local Step Functions `sns:publish` integration, a
 * durable log of every message (append-only NDJSON under `dataDir/sns/`),
 * and optional HTTP(S) subscribers that receive SNS-shaped notifications.
 *
 * A publish is acknowledged once its line is appended to the log (so a
 * SIGKILL after the MessageId was returned loses nothing). Deliveries to
 * subscribers run in the background, are retried a few times and never
 * block or fail the publish. Notifications are NOT signed: they carry
 * `"Signature": "LOCAL-UNSIGNED"`, empty certificate/unsubscribe URLs and
 * the header `x-escrow-local-unsigned: true`.
 */
import { randomUUID } from "node:crypto";
import { type FileHandle, mkdir, open, readFile, truncate } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { readBody } from "./http-body";

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

export interface LocalSnsOptions {
  dataDir: string;
  /** Topics that exist; when given, a publish to any other fails with NotFound. */
  topics?: string[];
  /** Subscriber URLs (or full subscriber specs). */
  subscribers?: Array<string | Subscriber>;
  /** Delivery attempts per subscriber (default 3), first back-off (default 500 ms, doubled), per-attempt timeout (default 5 s). */
  delivery?: { attempts?: number; backoffMs?: number; timeoutMs?: number };
  now?: () => number;
  onError?: (message: string, error: unknown) => void;
}

/** An error of the SNS API; `code` is the Query-protocol error code (e.g. InvalidParameter → InvalidParameterException). */
export class SnsServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = code;
  }
}

const MAX_MESSAGE_BYTES = 256 * 1024;
const MAX_ATTRIBUTES = 10;
const DATA_TYPE = /^(String|Number|Binary|String\.Array)(\.[A-Za-z0-9_.-]+)?$/;

const invalid = (m: string) => new SnsServiceError("InvalidParameter", `Invalid parameter: ${m}`);

export class LocalSns {
  private readonly file: string;
  private readonly now: () => number;
  private readonly messages: PublishedMessage[] = [];
  private readonly byEscrow = new Map<string, NotificationItem[]>();
  private readonly items: NotificationItem[] = [];
  private readonly subscribers: Subscriber[];
  private readonly deliveries = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private readonly ready: Promise<void>;
  private handle?: FileHandle;
  private appendChain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: LocalSnsOptions) {
    this.file = join(options.dataDir, "sns", "messages.ndjson");
    this.now = options.now ?? Date.now;
    this.subscribers = (options.subscribers ?? []).map((s) => (typeof s === "string" ? { url: s } : s));
    this.ready = this.init();
    this.ready.catch(() => {});
  }

  /** Publishes a message; resolves with its MessageId once it is in the log. */
  async publish(input: PublishInput): Promise<{ MessageId: string }> {
    if (this.closed) throw new SnsServiceError("ServiceUnavailable", "the local SNS service is closed", 503);
    await this.ready;
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

    const record: PublishedMessage = {
      messageId: randomUUID(),
      topicArn,
      message: input.Message,
      ...(input.Subject !== undefined ? { subject: input.Subject } : {}),
      attributes,
      attributeTypes,
      timestamp: new Date(this.now()).toISOString(),
    };
    await this.append(`${JSON.stringify(record)}\n`);
    this.remember(record);
    for (const subscriber of this.subscribers)
      if (this.matches(subscriber, record)) this.deliver(subscriber, record);
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
  async drain(): Promise<void> {
    while (this.deliveries.size > 0) await Promise.allSettled([...this.deliveries]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    await this.ready.catch(() => {});
    await this.appendChain.catch(() => {});
    await Promise.allSettled([...this.deliveries]);
    await this.handle?.close();
    this.handle = undefined;
  }

  // -------------------------------------------------------------------------

  private async init(): Promise<void> {
    await mkdir(join(this.options.dataDir, "sns"), { recursive: true });
    let text = "";
    try {
      text = await readFile(this.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    // A crash may have left half a line at the end: drop it so the next append starts clean.
    const complete = text.lastIndexOf("\n") + 1;
    if (complete < text.length) await truncate(this.file, Buffer.byteLength(text.slice(0, complete), "utf8"));
    for (const line of text.slice(0, complete).split("\n")) {
      if (line.trim() === "") continue;
      try {
        this.remember(JSON.parse(line) as PublishedMessage);
      } catch (error) {
        this.report("skipping an unreadable line of the message log", error);
      }
    }
    this.handle = await open(this.file, "a");
  }

  private append(line: string): Promise<void> {
    const next = this.appendChain.then(async () => {
      if (!this.handle) throw new SnsServiceError("ServiceUnavailable", "the message log is closed", 503);
      await this.handle.appendFile(line, "utf8");
    });
    this.appendChain = next.catch(() => {});
    return next;
  }

  private remember(record: PublishedMessage): void {
    this.messages.push(record);
    let event: unknown = record.message;
    try {
      event = JSON.parse(record.message);
    } catch {
      // not JSON: keep the text
    }
    const item: NotificationItem = { messageId: record.messageId, attributes: record.attributes, event };
    this.items.push(item);
    const escrowId =
      typeof event === "object" && event !== null ? (event as { escrowId?: unknown }).escrowId : undefined;
    if (typeof escrowId === "string") {
      const list = this.byEscrow.get(escrowId);
      if (list) list.push(item);
      else this.byEscrow.set(escrowId, [item]);
    }
  }

  private matches(subscriber: Subscriber, m: PublishedMessage): boolean {
    if (subscriber.topicArn !== undefined && subscriber.topicArn !== m.topicArn) return false;
    for (const [name, accepted] of Object.entries(subscriber.filterPolicy ?? {})) {
      const value = m.attributes[name];
      if (value === undefined || !accepted.includes(value)) return false;
    }
    return true;
  }

  private deliver(subscriber: Subscriber, m: PublishedMessage): void {
    const attempts = this.options.delivery?.attempts ?? 3;
    const backoffMs = this.options.delivery?.backoffMs ?? 500;
    const timeoutMs = this.options.delivery?.timeoutMs ?? 5000;
    const subscriptionArn = `${m.topicArn}:local-${Buffer.from(subscriber.url).toString("base64url").slice(0, 32)}`;
    const body = subscriber.raw ? m.message : JSON.stringify(notificationOf(m, subscriptionArn));
    const headers = {
      "content-type": "text/plain; charset=UTF-8",
      "user-agent": "Amazon Simple Notification Service Agent (escrow local)",
      "x-amz-sns-message-type": "Notification",
      "x-amz-sns-message-id": m.messageId,
      "x-amz-sns-topic-arn": m.topicArn,
      "x-amz-sns-subscription-arn": subscriptionArn,
      ...(subscriber.raw ? { "x-amz-sns-rawdelivery": "true" } : {}),
      "x-escrow-local-unsigned": "true",
    };
    const run = (async () => {
      for (let attempt = 1; attempt <= attempts; attempt++) {
        if (this.abort.signal.aborted) return;
        try {
          const response = await fetch(subscriber.url, {
            method: "POST",
            headers,
            body,
            signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(timeoutMs)]),
          });
          await response.arrayBuffer().catch(() => undefined);
          if (response.ok) return;
          if (attempt === attempts)
            this.report(
              `delivery of ${m.messageId} to ${subscriber.url} failed`,
              new Error(`HTTP ${response.status}`),
            );
        } catch (error) {
          if (this.abort.signal.aborted) return;
          if (attempt === attempts)
            this.report(`delivery of ${m.messageId} to ${subscriber.url} failed`, error);
        }
        if (attempt < attempts) await pause(backoffMs * 2 ** (attempt - 1), this.abort.signal);
      }
    })();
    this.deliveries.add(run);
    void run.finally(() => this.deliveries.delete(run));
  }

  private report(message: string, error: unknown): void {
    if (this.options.onError) this.options.onError(message, error);
    else console.error(`[local-sns] ${message}:`, error);
  }
}

/** The JSON body SNS posts to an HTTP(S) subscriber (unsigned). */
export function notificationOf(m: PublishedMessage, subscriptionArn: string): Record<string, unknown> {
  return {
    Type: "Notification",
    MessageId: m.messageId,
    TopicArn: m.topicArn,
    ...(m.subject !== undefined ? { Subject: m.subject } : {}),
    Message: m.message,
    Timestamp: m.timestamp,
    SignatureVersion: "1",
    Signature: "LOCAL-UNSIGNED",
    SigningCertURL: "",
    UnsubscribeURL: "",
    SubscriptionArn: subscriptionArn,
    MessageAttributes: Object.fromEntries(
      Object.entries(m.attributes).map(([name, value]) => [
        name,
        { Type: m.attributeTypes[name] ?? "String", Value: value },
      ]),
    ),
  };
}

const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

// ---------------------------------------------------------------------------
// AWS Query protocol endpoint

const XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/";

const xmlEscape = (s: string) =>
  s.replace(
    /[<>&'"]/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c] as string,
  );

/** Reads `MessageAttributes.entry.N.Name` / `.Value.DataType` / `.Value.StringValue` / `.Value.BinaryValue`. */
function attributesFromQuery(form: URLSearchParams): Record<string, MessageAttributeValue> | undefined {
  const entries = new Map<string, Record<string, string>>();
  for (const [key, value] of form) {
    const m =
      /^MessageAttributes\.entry\.(\d+)\.(Name|Value\.DataType|Value\.StringValue|Value\.BinaryValue)$/.exec(
        key,
      );
    if (!m) continue;
    const entry = entries.get(m[1] as string) ?? {};
    entry[m[2] as string] = value;
    entries.set(m[1] as string, entry);
  }
  if (entries.size === 0) return undefined;
  const out: Record<string, MessageAttributeValue> = {};
  for (const entry of entries.values()) {
    const name = entry.Name;
    if (!name) throw invalid("Message attribute name can not be null or empty");
    out[name] = {
      DataType: entry["Value.DataType"] ?? "",
      ...(entry["Value.StringValue"] !== undefined ? { StringValue: entry["Value.StringValue"] } : {}),
      ...(entry["Value.BinaryValue"] !== undefined ? { BinaryValue: entry["Value.BinaryValue"] } : {}),
    };
  }
  return out;
}

/** Runs one Query-protocol call (form-encoded body) and returns the HTTP answer. Supports `Action=Publish`. */
export async function handleSnsQueryRequest(
  sns: LocalSns,
  bodyText: string,
): Promise<{ statusCode: number; headers: Record<string, string>; body: string }> {
  const requestId = randomUUID();
  const headers = { "content-type": "text/xml", "x-amzn-requestid": requestId };
  try {
    const form = new URLSearchParams(bodyText);
    const action = form.get("Action");
    if (action !== "Publish")
      throw new SnsServiceError(
        "InvalidAction",
        `The action ${action ?? "(none)"} is not valid for this endpoint.`,
      );
    const get = (k: string) => form.get(k) ?? undefined;
    const result = await sns.publish({
      TopicArn: get("TopicArn"),
      TargetArn: get("TargetArn"),
      Message: get("Message"),
      Subject: get("Subject"),
      MessageStructure: get("MessageStructure"),
      MessageGroupId: get("MessageGroupId"),
      MessageDeduplicationId: get("MessageDeduplicationId"),
      MessageAttributes: attributesFromQuery(form),
    });
    const body =
      `<PublishResponse xmlns="${XMLNS}"><PublishResult><MessageId>${xmlEscape(result.MessageId)}</MessageId>` +
      `</PublishResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`;
    return { statusCode: 200, headers, body };
  } catch (error) {
    return errorAnswer(error, requestId);
  }
}

function errorAnswer(
  error: unknown,
  requestId: string = randomUUID(),
): { statusCode: number; headers: Record<string, string>; body: string } {
  const e =
    error instanceof SnsServiceError
      ? error
      : new SnsServiceError("InternalError", error instanceof Error ? error.message : String(error), 500);
  const body =
    `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${e.statusCode < 500 ? "Sender" : "Receiver"}</Type>` +
    `<Code>${xmlEscape(e.code)}</Code><Message>${xmlEscape(e.message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`;
  return {
    statusCode: e.statusCode,
    headers: { "content-type": "text/xml", "x-amzn-requestid": requestId },
    body,
  };
}

/** Whether a request looks like a Query-protocol call (form-encoded POST), to share one server with other endpoints. */
export const isQueryProtocolRequest = (req: IncomingMessage): boolean =>
  req.method === "POST" &&
  String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded") &&
  req.headers["x-amz-target"] === undefined;

/** A Node request listener serving the SNS Query API. */
export function createSnsRequestListener(
  sns: LocalSns,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    let answer: { statusCode: number; headers: Record<string, string>; body: string };
    try {
      const body = (await readBody(req, 4 * MAX_MESSAGE_BYTES, () => invalid("request too large"))).toString(
        "utf8",
      );
      answer = await handleSnsQueryRequest(sns, body);
    } catch (error) {
      answer = errorAnswer(error);
    }
    res.writeHead(answer.statusCode, { ...answer.headers, "content-length": Buffer.byteLength(answer.body) });
    res.end(answer.body);
  };
}

/** An HTTP server for the SNS API (not yet listening). Point `AWS_ENDPOINT_URL_SNS` at it. */
export function createSnsHttpServer(sns: LocalSns): Server {
  const listener = createSnsRequestListener(sns);
  return createServer((req, res) => {
    void listener(req, res);
  });
}

/**
 * `GET /_local/notifications?escrowId=` (API.md, "Local mode"): the messages
 * published so far, newest last, as `{ items: [{ messageId, attributes, event }] }`.
 * Returns false (without answering) for any other request, so it can sit in
 * front of another handler.
 */
export function createNotificationsListener(
  sns: LocalSns,
  path = "/_local/notifications",
  /** Named topics: `?topic=<name>` picks one, `?topic=all` every topic; the first is the default. */
  topics: Record<string, string> = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://local");
    if (url.pathname !== path) return false;
    if (req.method !== "GET") {
      res
        .writeHead(405, { allow: "GET", "content-type": "application/json" })
        .end('{"message":"Method Not Allowed"}');
      return true;
    }
    const escrowId = url.searchParams.get("escrowId");
    const names = Object.keys(topics);
    const topic = url.searchParams.get("topic") ?? names[0] ?? "all";
    if (topic !== "all" && !(topic in topics)) {
      res
        .writeHead(400, { "content-type": "application/json" })
        .end(JSON.stringify({ message: `topic must be one of ${[...names, "all"].join(", ")}` }));
      return true;
    }
    const topicArn = topic === "all" ? undefined : topics[topic];
    const body = JSON.stringify(
      await sns.list({ ...(escrowId ? { escrowId } : {}), ...(topicArn ? { topicArn } : {}) }),
    );
    res.writeHead(200, {
      "content-type": "application/json",
      "cache-control": "no-store",
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
    return true;
  };
}
