import type { APIGatewayProxyResult } from "aws-lambda";
import type { $ZodError as ZodError } from "zod/v4/core";
import { DomainError, type FieldError, type ProblemCode, ValidationError } from "../domain/errors";

/** The one place where errors become HTTP answers (RFC 9457 problem documents). */

export const TITLES: Record<ProblemCode, string> = {
  validation_error: "Invalid request",
  unauthorized: "Unauthorized",
  forbidden: "Forbidden",
  not_found: "Not found",
  invalid_transition: "Action not allowed in the escrow's current status",
  idempotency_in_progress: "A request with this Idempotency-Key is in progress",
  idempotency_key_reused: "Idempotency-Key reused with a different request",
  rate_limited: "Too many requests",
  internal_error: "Internal error",
};

export const problemType = (code: ProblemCode) => `urn:escrow:problem:${code}`;

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export function problem(
  status: number,
  code: ProblemCode,
  detail: string,
  errors?: FieldError[],
): APIGatewayProxyResult {
  const body = {
    type: problemType(code),
    title: TITLES[code],
    status,
    detail,
    code,
    ...(errors ? { errors } : {}),
  };
  return {
    statusCode: status,
    headers: { "Content-Type": PROBLEM_CONTENT_TYPE, "Cache-Control": "no-store" },
    body: JSON.stringify(body),
  };
}

export function fromZod(error: ZodError, prefix = ""): ValidationError {
  const errors = error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join(".") || "(body)",
    message:
      issue.code === "unrecognized_keys" ? `unknown field(s): ${issue.keys.join(", ")}` : issue.message,
  }));
  return new ValidationError(
    `The request is invalid: ${errors.map((e) => `${e.path} ${e.message}`).join("; ")}`,
    errors,
  );
}

/** Below 500 the message is the detail; at 500 the caller learns nothing internal. */
export function toProblem(error: unknown): APIGatewayProxyResult {
  if (error instanceof ValidationError) return problem(400, "validation_error", error.message, error.errors);
  if (error instanceof DomainError) return problem(error.status, error.code, error.message);
  return problem(
    500,
    "internal_error",
    "The request could not be completed. It is safe to retry it with the same Idempotency-Key.",
  );
}
