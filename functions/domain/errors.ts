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

/** What an error of these kinds says when it is thrown without a message. */
const DEFAULT_MESSAGE: Partial<Record<ErrorKind, string>> = {
  not_found: "No such escrow.",
  idempotency_in_progress: "A request with this Idempotency-Key is still being processed; retry shortly.",
  idempotency_key_reused: "This Idempotency-Key was already used with a different request.",
  handover_code_invalid: "The handover code is wrong, expired, already used or replaced by a newer one.",
};

/**
 * The base class of the errors of one kind. `name` is spelled out rather than
 * taken from the class: the bundles are minified, and logs must still say
 * which error it was.
 */
function ofKind<K extends ErrorKind>(kind: K, name: string) {
  return class extends DomainError {
    readonly kind = kind;
    override readonly name = name;
    constructor(message = DEFAULT_MESSAGE[kind] ?? "", options?: ErrorOptions) {
      super(message, options);
    }
  };
}

export class ValidationError extends ofKind("validation", "ValidationError") {
  constructor(
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
  }
}

export class ForbiddenError extends ofKind("forbidden", "ForbiddenError") {}

export class NotFoundError extends ofKind("not_found", "NotFoundError") {}

export class InvalidTransitionError extends ofKind("invalid_transition", "InvalidTransitionError") {}

export class IdempotencyInProgressError extends ofKind(
  "idempotency_in_progress",
  "IdempotencyInProgressError",
) {}

export class IdempotencyKeyReusedError extends ofKind(
  "idempotency_key_reused",
  "IdempotencyKeyReusedError",
) {}

/** A handover code that is wrong, expired, used or voided (API.md v1.1); changes nothing else. */
export class HandoverCodeInvalidError extends ofKind("handover_code_invalid", "HandoverCodeInvalidError") {}

/**
 * A dependency (the store, the workflow engine, the payment provider) failed
 * transiently and nothing was changed: the caller may retry. Ports throw it
 * with the dependency's error as `cause`, which is logged, never shown.
 */
export class DependencyUnavailableError extends ofKind("unavailable", "DependencyUnavailableError") {
  constructor(
    readonly dependency: string,
    options?: { cause?: unknown },
  ) {
    super(`${dependency} is unavailable; nothing was changed.`, options);
  }
}

/**
 * The store lost a conditional write: someone else changed the escrow first —
 * or, when `mayHaveLanded`, an earlier attempt of the same write did (the
 * client retried a request whose answer was lost, and its retry found the
 * condition already spent).
 */
export class ConcurrentUpdateError extends Error {
  override readonly name = "ConcurrentUpdateError";
  constructor(
    message = "The escrow changed while this action was being applied.",
    readonly mayHaveLanded = false,
  ) {
    super(message);
  }
}
