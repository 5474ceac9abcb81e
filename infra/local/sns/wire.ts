import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders, IncomingMessage, Server } from "node:http";
import { readBody } from "../http-body";
import { type WireAnswer, type WireListener, wireListener, wireServer } from "../wire-answer";
import { actionOf, xmlEscape } from "./query-actions";
import { invalid, type LocalSns, MAX_MESSAGE_BYTES } from "./service";
import { SnsServiceError } from "./types";

/**
 * The AWS Query protocol of SNS (form-encoded POST, XML answers), as an
 * unmodified `@aws-sdk/client-sns` or the AWS CLI speaks it through
 * `--endpoint-url` / `AWS_ENDPOINT_URL_SNS`; also the GETs of a message's
 * SubscribeURL and UnsubscribeURL (the action in the URL's query), and the
 * signing certificate at its SigningCertURL. The actions are query-actions.ts.
 */

const XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/";

export interface SnsWireOptions {
  /** IAM (infra/local/iam): the refusal of a call, from its action, form and request headers. */
  authorize?: (
    action: string,
    form: URLSearchParams,
    headers: IncomingHttpHeaders,
  ) => SnsServiceError | undefined;
}

/** Runs one Query-protocol call (form-encoded parameters) and returns the HTTP answer. */
export async function handleSnsQueryRequest(
  sns: LocalSns,
  parameters: string,
  options: SnsWireOptions = {},
  requestHeaders: IncomingHttpHeaders = {},
): Promise<WireAnswer> {
  const requestId = randomUUID();
  const headers = { "content-type": "text/xml", "x-amzn-requestid": requestId };
  try {
    const form = new URLSearchParams(parameters);
    const name = form.get("Action");
    // IAM decides before the service does anything (a refused call publishes nothing).
    const refused = name ? options.authorize?.(name, form, requestHeaders) : undefined;
    if (refused) throw refused;
    const result = await actionOf(name)(form, sns);
    const body =
      `<${name}Response xmlns="${XMLNS}">${result === null ? "" : `<${name}Result>${result}</${name}Result>`}` +
      `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${name}Response>`;
    return { statusCode: 200, headers, body };
  } catch (error) {
    return errorAnswer(error, requestId);
  }
}

/** An SNS error document: `Sender` below 500, `Receiver` (the SDK retries it) at 500 and above. */
function errorAnswer(error: unknown, requestId: string = randomUUID()): WireAnswer {
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

/** A GET of the root with an SNS action in its query: a SubscribeURL or an UnsubscribeURL being visited. */
export const isSnsUrlRequest = (req: IncomingMessage): boolean => {
  if (req.method !== "GET") return false;
  const url = new URL(req.url ?? "/", "http://local");
  return url.pathname === "/" && url.searchParams.has("Action");
};

/** A GET of the signing certificate (`/SimpleNotificationService-<hash>.pem`). */
export const isSigningCertRequest = (req: IncomingMessage): boolean =>
  req.method === "GET" &&
  /^\/SimpleNotificationService-[0-9a-f]+\.pem$/.test((req.url ?? "").split("?")[0] ?? "");

/** A Node request listener serving the SNS Query API, SubscribeURL and UnsubscribeURL, and SigningCertURL. */
export function createSnsRequestListener(sns: LocalSns, options: SnsWireOptions = {}): WireListener {
  return wireListener(async (req) => {
    if (isSigningCertRequest(req)) {
      const { fileName, pem } = await sns.certificate();
      return req.url?.split("?")[0] === `/${fileName}`
        ? { statusCode: 200, headers: { "content-type": "application/x-pem-file" }, body: pem }
        : { statusCode: 404, headers: { "content-type": "text/plain" }, body: "no such certificate" };
    }
    if (req.method === "GET") {
      const query = new URL(req.url ?? "/", "http://local").search.slice(1);
      return handleSnsQueryRequest(sns, query, options, req.headers);
    }
    const body = await readBody(req, 4 * MAX_MESSAGE_BYTES, () => invalid("request too large"));
    return handleSnsQueryRequest(sns, body.toString("utf8"), options, req.headers);
  }, errorAnswer);
}

/** An HTTP server for the SNS API (not yet listening). Point `AWS_ENDPOINT_URL_SNS` at it. */
export function createSnsHttpServer(sns: LocalSns): Server {
  return wireServer(createSnsRequestListener(sns));
}
