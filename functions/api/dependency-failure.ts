/**
 * Whether an error is a dependency failing transiently — an AWS service
 * answering 5xx or throttling, a timeout, a dropped connection — as opposed
 * to a bug. The API answers the first with 503 `unavailable` and Retry-After,
 * never with 500. The SDK has already retried such errors when they reach
 * the handler. Mirrors the SDK's own retry classification, so an error the SDK
 * would retry is one the caller may retry too.
 */

const THROTTLING_NAMES = new Set([
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "RequestThrottledException",
  "RequestThrottled",
  "TooManyRequestsException",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "BandwidthLimitExceeded",
  "SlowDown",
  "PriorRequestNotComplete",
  "TransactionInProgressException",
]);

const TIMEOUT_NAMES = new Set(["TimeoutError", "RequestTimeout", "RequestTimeoutException"]);

/** Node's and undici's codes for a connection that failed or dropped. */
const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);

interface SdkLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

export function isTransientDependencyError(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== "object" || depth > 5) return false;
  const e = error as SdkLike;
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === "number" && status >= 500) return true;
  if (e.$retryable) return true;
  if (typeof e.name === "string" && (THROTTLING_NAMES.has(e.name) || TIMEOUT_NAMES.has(e.name))) return true;
  if (typeof e.code === "string" && NETWORK_CODES.has(e.code)) return true;
  if (typeof e.message === "string" && /socket hang up/i.test(e.message)) return true;
  return isTransientDependencyError(e.cause, depth + 1);
}
