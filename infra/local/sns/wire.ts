import { randomUUID } from "node:crypto";
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { readBody } from "../http-body";
import { invalid, type LocalSns, MAX_MESSAGE_BYTES } from "./service";
import { type MessageAttributeValue, SnsServiceError } from "./types";

/**
 * The AWS Query protocol of SNS (form-encoded POST, XML answers), as an
 * unmodified `@aws-sdk/client-sns` speaks it through `AWS_ENDPOINT_URL_SNS`.
 * Supports `Action=Publish`.
 */

const XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/";

export interface QueryAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

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

export interface SnsWireOptions {
  /** IAM (infra/local/iam): the refusal of a call, from its action, form and request headers. */
  authorize?: (
    action: string,
    form: URLSearchParams,
    headers: IncomingHttpHeaders,
  ) => SnsServiceError | undefined;
}

/** Runs one Query-protocol call (form-encoded body) and returns the HTTP answer. */
export async function handleSnsQueryRequest(
  sns: LocalSns,
  bodyText: string,
  options: SnsWireOptions = {},
  requestHeaders: IncomingHttpHeaders = {},
): Promise<QueryAnswer> {
  const requestId = randomUUID();
  const headers = { "content-type": "text/xml", "x-amzn-requestid": requestId };
  try {
    const form = new URLSearchParams(bodyText);
    const action = form.get("Action");
    // IAM decides before the service does anything (a refused call publishes nothing).
    const refused = action ? options.authorize?.(action, form, requestHeaders) : undefined;
    if (refused) throw refused;
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

/** An SNS error document: `Sender` below 500, `Receiver` (the SDK retries it) at 500 and above. */
function errorAnswer(error: unknown, requestId: string = randomUUID()): QueryAnswer {
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
  options: SnsWireOptions = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    let answer: QueryAnswer;
    try {
      const body = (await readBody(req, 4 * MAX_MESSAGE_BYTES, () => invalid("request too large"))).toString(
        "utf8",
      );
      answer = await handleSnsQueryRequest(sns, body, options, req.headers);
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
