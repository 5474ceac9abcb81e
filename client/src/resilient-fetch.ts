import type { TokenSource } from "./token-source.js";

/**
 * The `fetch` the client sends every request through:
 *
 * - every POST carries an `Idempotency-Key` (the caller's, else a new UUID),
 *   and every retry of it carries the same key, so a retried POST is the same
 *   request to the API (replayed, never applied twice);
 * - the bearer token comes from the token source; when the API refuses it as
 *   an invalid token (401 with `error="invalid_token"`), it is fetched anew and
 *   the request sent once more;
 * - a `503` (or `429`) is retried after the seconds its `Retry-After` asks for
 *   (at most `maxRetryAfterSeconds`; a longer wait is handed back as the
 *   answer), a dropped connection after a short backoff, up to `maxRetries`.
 */

export interface ResilienceOptions {
  tokens?: TokenSource;
  /** Retries after a 503, a 429 or a dropped connection (default 3). */
  maxRetries?: number;
  /** The longest `Retry-After` honoured (default 30 s). */
  maxRetryAfterSeconds?: number;
  /** New idempotency keys (default a random UUID). */
  idempotencyKey?: () => string;
  fetch?: (request: Request) => Promise<Response>;
  /** How a wait between attempts is waited (tests pass their own). */
  sleep?: (ms: number) => Promise<void>;
}

const RETRIED_STATUSES = new Set([429, 503]);

/** Seconds from a `Retry-After` header: a number of seconds, or an HTTP date. */
export function retryAfterSeconds(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

export function resilientFetch(options: ResilienceOptions = {}): (request: Request) => Promise<Response> {
  const send = options.fetch ?? ((request: Request) => fetch(request));
  const maxRetries = options.maxRetries ?? 3;
  const maxWait = options.maxRetryAfterSeconds ?? 30;
  const newKey = options.idempotencyKey ?? (() => crypto.randomUUID());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  return async (request: Request) => {
    const headers = new Headers(request.headers);
    if (request.method === "POST" && !headers.has("Idempotency-Key"))
      headers.set("Idempotency-Key", newKey());
    // The body is read once and sent with every attempt.
    const body = request.body === null ? undefined : await request.arrayBuffer();
    const ownToken = options.tokens !== undefined && !headers.has("Authorization");
    let refreshed = false;

    for (let retry = 0; ; retry++) {
      if (ownToken) headers.set("Authorization", `Bearer ${await options.tokens?.token()}`);
      const attempt = new Request(request.url, {
        method: request.method,
        headers,
        body,
        signal: request.signal,
      });
      let response: Response;
      try {
        response = await send(attempt);
      } catch (error) {
        if (request.signal?.aborted || retry >= maxRetries) throw error;
        await sleep(500 * 2 ** retry);
        continue;
      }
      if (
        response.status === 401 &&
        ownToken &&
        !refreshed &&
        /error="invalid_token"/.test(response.headers.get("WWW-Authenticate") ?? "")
      ) {
        options.tokens?.invalidate();
        refreshed = true;
        retry--;
        await response.body?.cancel();
        continue;
      }
      if (!RETRIED_STATUSES.has(response.status) || retry >= maxRetries) return response;
      const wait = retryAfterSeconds(response.headers.get("Retry-After")) ?? 2 ** retry;
      if (wait > maxWait) return response;
      await response.body?.cancel();
      await sleep(wait * 1000);
    }
  };
}
