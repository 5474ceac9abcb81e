/**
 * Named domain errors. Each carries a `kind` — what went wrong, in the
 * domain's words; functions/api/problem.ts is the one place that turns a kind
 * into an HTTP status and a problem document.
 */
export type ErrorKind =
  | "validation"
  | "forbidden"
  | "not_found"
  | "invalid_transition"
  | "idempotency_in_progress"
  | "idempotency_key_reused"
  | "handover_code_invalid"
  | "unavailable";

export interface FieldError {
  path: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly kind: ErrorKind;
}

export class ValidationError extends DomainError {
  readonly kind = "validation";
  constructor(
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
    this.name = "ValidationError";
  }
}

export class ForbiddenError extends DomainError {
  readonly kind = "forbidden";
  constructor(message: string) {
    super(message);
    this.name = "ForbiddenError";
  }
}

export class NotFoundError extends DomainError {
  readonly kind = "not_found";
  constructor(message = "No such escrow.") {
    super(message);
    this.name = "NotFoundError";
  }
}

export class InvalidTransitionError extends DomainError {
  readonly kind = "invalid_transition";
  constructor(message: string) {
    super(message);
    this.name = "InvalidTransitionError";
  }
}

export class IdempotencyInProgressError extends DomainError {
  readonly kind = "idempotency_in_progress";
  constructor(message = "A request with this Idempotency-Key is still being processed; retry shortly.") {
    super(message);
    this.name = "IdempotencyInProgressError";
  }
}

export class IdempotencyKeyReusedError extends DomainError {
  readonly kind = "idempotency_key_reused";
  constructor(message = "This Idempotency-Key was already used with a different request.") {
    super(message);
    this.name = "IdempotencyKeyReusedError";
  }
}

/** A handover code that is wrong, expired, used or voided (API.md v1.1); changes nothing else. */
export class HandoverCodeInvalidError extends DomainError {
  readonly kind = "handover_code_invalid";
  constructor(message = "The handover code is wrong, expired, already used or replaced by a newer one.") {
    super(message);
    this.name = "HandoverCodeInvalidError";
  }
}

/**
 * A dependency (the store, the workflow engine, the payment provider) failed
 * transiently and nothing was changed: the caller may retry. Ports throw it
 * with the dependency's error as `cause`, which is logged, never shown.
 */
export class DependencyUnavailableError extends DomainError {
  readonly kind = "unavailable";
  constructor(
    readonly dependency: string,
    options?: { cause?: unknown },
  ) {
    super(`${dependency} is unavailable; nothing was changed.`, options);
    this.name = "DependencyUnavailableError";
  }
}

/** The store lost a conditional write: someone else changed the escrow first. */
export class ConcurrentUpdateError extends Error {
  constructor(message = "The escrow changed while this action was being applied.") {
    super(message);
    this.name = "ConcurrentUpdateError";
  }
}
