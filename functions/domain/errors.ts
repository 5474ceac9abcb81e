/**
 * Named domain errors. Each maps to one problem `code` of the public contract
 * (see functions/api/problem.ts, the only place that turns them into HTTP).
 */
export type ProblemCode =
  | "validation_error"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "invalid_transition"
  | "idempotency_in_progress"
  | "idempotency_key_reused"
  | "rate_limited"
  | "internal_error";

export interface FieldError {
  path: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly code: ProblemCode;
  abstract readonly status: number;
}

export class ValidationError extends DomainError {
  readonly code = "validation_error";
  readonly status = 400;
  constructor(
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
    this.name = "ValidationError";
  }
}

export class UnauthorizedError extends DomainError {
  readonly code = "unauthorized";
  readonly status = 401;
  constructor(message = "A valid bearer token is required.") {
    super(message);
    this.name = "UnauthorizedError";
  }
}

export class ForbiddenError extends DomainError {
  readonly code = "forbidden";
  readonly status = 403;
  constructor(message: string) {
    super(message);
    this.name = "ForbiddenError";
  }
}

export class NotFoundError extends DomainError {
  readonly code = "not_found";
  readonly status = 404;
  constructor(message = "No such escrow.") {
    super(message);
    this.name = "NotFoundError";
  }
}

export class InvalidTransitionError extends DomainError {
  readonly code = "invalid_transition";
  readonly status = 409;
  constructor(message: string) {
    super(message);
    this.name = "InvalidTransitionError";
  }
}

export class IdempotencyInProgressError extends DomainError {
  readonly code = "idempotency_in_progress";
  readonly status = 409;
  constructor(message = "A request with this Idempotency-Key is still being processed; retry shortly.") {
    super(message);
    this.name = "IdempotencyInProgressError";
  }
}

export class IdempotencyKeyReusedError extends DomainError {
  readonly code = "idempotency_key_reused";
  readonly status = 422;
  constructor(message = "This Idempotency-Key was already used with a different request.") {
    super(message);
    this.name = "IdempotencyKeyReusedError";
  }
}

/** The store lost a conditional write: someone else changed the escrow first. */
export class ConcurrentUpdateError extends Error {
  constructor(message = "The escrow changed while this action was being applied.") {
    super(message);
    this.name = "ConcurrentUpdateError";
  }
}
