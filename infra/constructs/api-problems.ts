import { ResponseType, type RestApi } from "aws-cdk-lib/aws-apigateway";
import { PROBLEM_CONTENT_TYPE, problemType, TITLES } from "../../functions/api/problem";
import type { ProblemCode } from "../../functions/domain/errors";

/**
 * Answers API Gateway gives by itself (authorizer, validation, throttling,
 * unknown routes, 5xx), shaped like functions/api/problem.ts shapes the
 * handlers' answers, so a client parses one error format.
 *
 * Gateway response templates are not VTL: only `$context` variables are
 * substituted, so `$util.escapeJavaScript` is unavailable. `detail` therefore
 * comes from `$context.error.messageString` (already a quoted JSON string) or
 * is a fixed text; `$context.error.validationErrorString` is placed inside
 * quotes, as API Gateway escapes its quotes (`[\"actorId\"]`).
 */

export const INTERNAL_DETAIL =
  "The request could not be completed. It is safe to retry it with the same Idempotency-Key.";

/** A problem document with `detail` given as raw JSON (a literal or a `$context` string). */
export const problemTemplate = (status: number, code: ProblemCode, detailJson: string): string =>
  `{"type":"${problemType(code)}","title":${JSON.stringify(TITLES[code])},"status":${status},"detail":${detailJson},"code":"${code}"}`;

interface GatewayProblem {
  type: ResponseType;
  status: number;
  code: ProblemCode;
  detailJson: string;
  headers?: Record<string, string>;
}

const MESSAGE = "$context.error.messageString";

export const GATEWAY_PROBLEMS: GatewayProblem[] = [
  { type: ResponseType.DEFAULT_4XX, status: 400, code: "validation_error", detailJson: MESSAGE },
  {
    type: ResponseType.DEFAULT_5XX,
    status: 500,
    code: "internal_error",
    detailJson: JSON.stringify(INTERNAL_DETAIL),
  },
  { type: ResponseType.UNAUTHORIZED, status: 401, code: "unauthorized", detailJson: MESSAGE },
  { type: ResponseType.EXPIRED_TOKEN, status: 401, code: "unauthorized", detailJson: MESSAGE },
  { type: ResponseType.INVALID_SIGNATURE, status: 401, code: "unauthorized", detailJson: MESSAGE },
  { type: ResponseType.ACCESS_DENIED, status: 403, code: "forbidden", detailJson: MESSAGE },
  { type: ResponseType.WAF_FILTERED, status: 403, code: "forbidden", detailJson: MESSAGE },
  {
    // API Gateway's answer to a path or method it does not serve (Cognito-authorized routes answer 401 themselves).
    type: ResponseType.MISSING_AUTHENTICATION_TOKEN,
    status: 404,
    code: "not_found",
    detailJson: JSON.stringify("No route matches this method and path."),
  },
  {
    type: ResponseType.RESOURCE_NOT_FOUND,
    status: 404,
    code: "not_found",
    detailJson: JSON.stringify("No route matches this method and path."),
  },
  {
    type: ResponseType.THROTTLED,
    status: 429,
    code: "rate_limited",
    detailJson: MESSAGE,
    headers: { "Retry-After": "1" },
  },
  {
    type: ResponseType.QUOTA_EXCEEDED,
    status: 429,
    code: "rate_limited",
    detailJson: MESSAGE,
    headers: { "Retry-After": "60" },
  },
  {
    type: ResponseType.BAD_REQUEST_BODY,
    status: 400,
    code: "validation_error",
    detailJson: '"The request body is invalid: $context.error.validationErrorString"',
  },
  { type: ResponseType.BAD_REQUEST_PARAMETERS, status: 400, code: "validation_error", detailJson: MESSAGE },
  {
    // API.md: a body over 16 KiB is 400 validation_error (the handler checks 16 KiB; the gateway stops at 10 MB).
    type: ResponseType.REQUEST_TOO_LARGE,
    status: 400,
    code: "validation_error",
    detailJson: JSON.stringify("The request body is larger than 16384 bytes."),
  },
  {
    type: ResponseType.UNSUPPORTED_MEDIA_TYPE,
    status: 400,
    code: "validation_error",
    detailJson: JSON.stringify("The request body must be JSON (Content-Type: application/json)."),
  },
];

export function addGatewayProblems(api: RestApi): void {
  for (const p of GATEWAY_PROBLEMS) {
    const template = problemTemplate(p.status, p.code, p.detailJson);
    const headers: Record<string, string> = {
      "Content-Type": `'${PROBLEM_CONTENT_TYPE}'`,
      "Cache-Control": "'no-store'",
    };
    for (const [name, value] of Object.entries(p.headers ?? {})) headers[name] = `'${value}'`;
    api.addGatewayResponse(p.type.responseType, {
      type: p.type,
      statusCode: String(p.status),
      responseHeaders: headers,
      templates: { "application/json": template, [PROBLEM_CONTENT_TYPE]: template },
    });
  }
}
