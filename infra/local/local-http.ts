import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Answers of the local-only routes (`/_local/...`): JSON, and RFC 9457
 * problem documents shaped like the API's own (API.md, "Conventions"), so a
 * client parses one error format.
 */

export type LocalProblemCode = "validation_error" | "not_found" | "method_not_allowed" | "internal_error";

const TITLES: Record<LocalProblemCode, string> = {
  validation_error: "Invalid request",
  not_found: "Not found",
  method_not_allowed: "Method not allowed",
  internal_error: "Internal error",
};

export interface FieldError {
  path: string;
  message: string;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendProblem(
  res: ServerResponse,
  status: number,
  code: LocalProblemCode,
  detail: string,
  errors?: FieldError[],
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify({
    type: `urn:escrow:problem:${code}`,
    title: TITLES[code],
    status,
    detail,
    code,
    ...(errors ? { errors } : {}),
  });
  res.writeHead(status, {
    "content-type": "application/problem+json",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** 405 `method_not_allowed` with `Allow`, as the API answers it. */
export function sendMethodNotAllowed(res: ServerResponse, allow: string[]): void {
  sendProblem(res, 405, "method_not_allowed", `This path serves ${allow.join(", ")} only.`, undefined, {
    allow: allow.join(", "),
  });
}

export const urlOf = (req: IncomingMessage) => new URL(req.url ?? "/", "http://local");

/** A local route: answers and returns true for its own requests, returns false for anything else. */
export type LocalListener = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
