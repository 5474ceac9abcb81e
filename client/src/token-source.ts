/**
 * OAuth 2.0 client credentials (RFC 6749, section 4.4), as the API's token
 * endpoint serves them (Cognito in AWS, `/oauth2/token` locally): one token
 * fetched and shared by concurrent requests, kept until shortly before it
 * expires, dropped when the API says it is no longer valid.
 */

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
  /** The token endpoint: the stack's TokenEndpoint output in AWS; `<baseUrl>/oauth2/token` locally. */
  tokenUrl: string;
  /** Space-separated scopes to ask for (default: every scope of the client). */
  scope?: string;
}

export interface TokenSource {
  /** A token valid for at least a minute more. */
  token(): Promise<string>;
  /** Forgets the cached token (the API refused it). */
  invalidate(): void;
}

/** Renew this long before the token's own end, so a request never leaves with a token about to expire. */
const EARLY_MS = 60_000;

export class TokenRequestError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`the token endpoint answered ${status}: ${body.slice(0, 200)}`);
    this.name = "TokenRequestError";
  }
}

export function clientCredentials(
  credentials: ClientCredentials,
  options: { fetch?: typeof fetch; now?: () => number } = {},
): TokenSource {
  const send = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  let cached: { token: string; renewAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  const request = async (): Promise<string> => {
    const basic = Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString("base64");
    const form = new URLSearchParams({ grant_type: "client_credentials" });
    if (credentials.scope) form.set("scope", credentials.scope);
    const res = await send(credentials.tokenUrl, {
      method: "POST",
      headers: { Authorization: `Basic ${basic}`, "Content-Type": "application/x-www-form-urlencoded" },
      body: form.toString(),
    });
    const text = await res.text();
    if (res.status !== 200) throw new TokenRequestError(res.status, text);
    const { access_token, expires_in } = JSON.parse(text) as { access_token?: string; expires_in?: number };
    if (typeof access_token !== "string") throw new TokenRequestError(res.status, text);
    const lifetimeMs = (typeof expires_in === "number" ? expires_in : 3600) * 1000;
    cached = { token: access_token, renewAt: now() + Math.max(0, lifetimeMs - EARLY_MS) };
    return access_token;
  };

  return {
    async token() {
      if (cached && now() < cached.renewAt) return cached.token;
      inFlight ??= request().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
