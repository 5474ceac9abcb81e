import { ResponseType, type RestApi } from "aws-cdk-lib/aws-apigateway";
import { GATEWAY_CHALLENGE } from "../../functions/api/bearer-challenge";
import {
  INTERNAL_DETAIL,
  PROBLEM_CONTENT_TYPE,
  PROBLEMS,
  type ProblemCode,
  problemType,
} from "../../functions/api/problem";

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

/** A problem document with `detail` given as raw JSON (a literal or a `$context` string). */
export const problemTemplate = (code: ProblemCode, detailJson: string): string => {
  const { status, title } = PROBLEMS[code];
  return `{"type":"${problemType(code)}","title":${JSON.stringify(title)},"status":${status},"detail":${detailJson},"code":"${code}"}`;
};

/** An answer API Gateway gives itself, as the problem `code` (whose status is functions/api/problem.ts's). */
interface GatewayProblem {
  type: ResponseType;
  code: ProblemCode;
  detailJson: string;
  headers?: Record<string, string>;
}

const MESSAGE = "$context.error.messageString";
/** RFC 6750: every 401 names its scheme and realm (fixed in a gateway response: see bearer-challenge.ts). */
const CHALLENGE = { "WWW-Authenticate": GATEWAY_CHALLENGE };

export const GATEWAY_PROBLEMS: GatewayProblem[] = [
  { type: ResponseType.DEFAULT_4XX, code: "validation_error", detailJson: MESSAGE },
  {
    type: ResponseType.DEFAULT_5XX,
    code: "internal_error",
    detailJson: JSON.stringify(INTERNAL_DETAIL),
  },
  { type: ResponseType.UNAUTHORIZED, code: "unauthorized", detailJson: MESSAGE, headers: CHALLENGE },
  { type: ResponseType.EXPIRED_TOKEN, code: "unauthorized", detailJson: MESSAGE, headers: CHALLENGE },
  { type: ResponseType.INVALID_SIGNATURE, code: "unauthorized", detailJson: MESSAGE, headers: CHALLENGE },
  { type: ResponseType.ACCESS_DENIED, code: "forbidden", detailJson: MESSAGE },
  { type: ResponseType.WAF_FILTERED, code: "forbidden", detailJson: MESSAGE },
  {
    // API Gateway's answer to a path or method it does not serve (Cognito-authorized routes answer 401 themselves).
    type: ResponseType.MISSING_AUTHENTICATION_TOKEN,
    code: "not_found",
    detailJson: JSON.stringify("No route matches this method and path."),
  },
  {
    type: ResponseType.RESOURCE_NOT_FOUND,
    code: "not_found",
    detailJson: JSON.stringify("No route matches this method and path."),
  },
  {
    type: ResponseType.THROTTLED,
    code: "rate_limited",
    detailJson: MESSAGE,
    headers: { "Retry-After": "1" },
  },
  {
    type: ResponseType.QUOTA_EXCEEDED,
    code: "rate_limited",
    detailJson: MESSAGE,
    headers: { "Retry-After": "60" },
  },
  {
    type: ResponseType.BAD_REQUEST_BODY,
    code: "validation_error",
    detailJson: '"The request body is invalid: $context.error.validationErrorString"',
  },
  { type: ResponseType.BAD_REQUEST_PARAMETERS, code: "validation_error", detailJson: MESSAGE },
  {
    // API.md: a body over 16 KiB is 400 validation_error (the handler checks 16 KiB; the gateway stops at 10 MB).
    type: ResponseType.REQUEST_TOO_LARGE,
    code: "validation_error",
    detailJson: JSON.stringify("The request body is larger than 16384 bytes."),
  },
  {
    type: ResponseType.UNSUPPORTED_MEDIA_TYPE,
    code: "validation_error",
    detailJson: JSON.stringify("The request body must be JSON (Content-Type: application/json)."),
  },
];

export function addGatewayProblems(api: RestApi): void {
  for (const p of GATEWAY_PROBLEMS) {
    const template = problemTemplate(p.code, p.detailJson);
    const headers: Record<string, string> = {
      "Content-Type": `'${PROBLEM_CONTENT_TYPE}'`,
      "Cache-Control": "'no-store'",
    };
    for (const [name, value] of Object.entries(p.headers ?? {})) headers[name] = `'${value}'`;
    api.addGatewayResponse(p.type.responseType, {
      type: p.type,
      statusCode: String(PROBLEMS[p.code].status),
      responseHeaders: headers,
      templates: { "application/json": template, [PROBLEM_CONTENT_TYPE]: template },
    });
  }
}
