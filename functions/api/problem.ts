import type { APIGatewayProxyResult } from "aws-lambda";
import { DomainError, type ErrorKind, type FieldError, ValidationError } from "../domain/errors";
import { bearerChallenge } from "./bearer-challenge";
import { isTransientDependencyError } from "./dependency-failure";
import { UnauthorizedError } from "./unauthorized-error";

/**
 * The one place where errors become HTTP answers (RFC 9457 problem
 * documents): every problem code of API.md with its status and title, which
 * code each domain error kind is, and the mapping of anything else.
 */
export const PROBLEMS = {
  validation_error: { status: 400, title: "Invalid request" },
  unauthorized: { status: 401, title: "Unauthorized" },
  forbidden: { status: 403, title: "Forbidden" },
  not_found: { status: 404, title: "Not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  invalid_transition: { status: 409, title: "Action not allowed in the escrow's current status" },
  idempotency_in_progress: { status: 409, title: "A request with this Idempotency-Key is in progress" },
  idempotency_key_reused: { status: 422, title: "Idempotency-Key reused with a different request" },
  handover_code_invalid: { status: 422, title: "Invalid handover code" },
  rate_limited: { status: 429, title: "Too many requests" },
  internal_error: { status: 500, title: "Internal error" },
  unavailable: { status: 503, title: "Service temporarily unavailable" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEMS;
export const PROBLEM_CODES = Object.keys(PROBLEMS) as [ProblemCode, ...ProblemCode[]];

/** The problem code of each kind of domain error. */
export const PROBLEM_OF_KIND: Record<ErrorKind, ProblemCode> = {
  validation: "validation_error",
  forbidden: "forbidden",
  not_found: "not_found",
  invalid_transition: "invalid_transition",
  idempotency_in_progress: "idempotency_in_progress",
  idempotency_key_reused: "idempotency_key_reused",
  handover_code_invalid: "handover_code_invalid",
  unavailable: "unavailable",
};

export const problemType = (code: ProblemCode) => `urn:escrow:problem:${code}`;

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export const INTERNAL_DETAIL =
  "The request could not be completed. It is safe to retry it with the same Idempotency-Key.";
export const UNAVAILABLE_DETAIL =
  "A service this request depends on is briefly unavailable. Retry after the seconds in Retry-After, with the same Idempotency-Key.";

/** Retry-After of a 503: 1-5 seconds, spread so that callers an outage turned away do not return at once. */
export const retryAfterSeconds = (random: () => number = Math.random): number =>
  1 + Math.min(4, Math.floor(random() * 5));

export function problem(
  code: ProblemCode,
  detail: string,
  errors?: FieldError[],
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  const { status, title } = PROBLEMS[code];
  const body = { type: problemType(code), title, status, detail, code, ...(errors ? { errors } : {}) };
  return {
    statusCode: status,
    headers: { "Content-Type": PROBLEM_CONTENT_TYPE, "Cache-Control": "no-store", ...headers },
    body: JSON.stringify(body),
  };
}

const unavailable = () =>
  problem("unavailable", UNAVAILABLE_DETAIL, undefined, { "Retry-After": String(retryAfterSeconds()) });

/**
 * Below 500 the message is the detail. A dependency that fails transiently
 * (a domain `unavailable`, or an AWS error the SDK classes as transient) is
 * 503 with Retry-After; anything else is a bug: 500, and the caller learns
 * nothing internal.
 */
export function toProblem(error: unknown): APIGatewayProxyResult {
  if (error instanceof UnauthorizedError)
    return problem("unauthorized", error.message, undefined, {
      "WWW-Authenticate": bearerChallenge("invalid", error.message),
    });
  if (error instanceof ValidationError) return problem("validation_error", error.message, error.errors);
  if (error instanceof DomainError) {
    const code = PROBLEM_OF_KIND[error.kind];
    return code === "unavailable" ? unavailable() : problem(code, error.message);
  }
  if (isTransientDependencyError(error)) return unavailable();
  return problem("internal_error", INTERNAL_DETAIL);
}
