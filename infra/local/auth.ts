/**
 * Local OAuth issuer shaped like a Cognito user pool's token endpoint, and
 * the token check API Gateway's Cognito authorizer does.
 *
 * - `POST /oauth2/token` (client-credentials grant only): form body
 *   `grant_type=client_credentials` and optional space-separated `scope`;
 *   client id and secret in HTTP Basic auth, or as `client_id` /
 *   `client_secret` form fields. Answers
 *   `{ access_token, token_type: "Bearer", expires_in: 3600 }`, or
 *   `400 {"error":"invalid_request"|"unsupported_grant_type"|"invalid_scope"}`
 *   / `401 {"error":"invalid_client"}`.
 * - Tokens are RS256 JWTs with the claims of a Cognito client-credentials
 *   access token (`sub` = `client_id`, `token_use: "access"`, `scope`, `iss`,
 *   `iat`, `exp`, `auth_time`, `jti`, `version: 2`). The RSA key pair is made
 *   once and kept in `dataDir/auth/signing-key.json`, so tokens outlive a
 *   restart.
 * - `GET /.well-known/jwks.json` serves the public key.
 * - `verify(authorization, { scopes })` accepts `Bearer <jwt>` signed by that
 *   key (RS256 only, right issuer, not expired, `token_use` access, one of
 *   the method's scopes when given) and returns the claims as API Gateway
 *   passes them in `requestContext.authorizer.claims`: every value a string,
 *   `exp`/`iat` as Java-style dates ("Mon Jul 15 05:58:22 UTC 2019").
 *
 * Clients: the built-in demo clients (API.md) unless configured otherwise
 * with the environment variable `ESCROW_LOCAL_CLIENTS`, which holds either
 * a JSON array or the path of a JSON file with one:
 *
 *   [{ "clientId": "acme", "clientSecret": "s3cret", "tenantId": "acme",
 *      "scopes": ["escrow/marketplace"] }]
 *
 * (`scopes` may also be one space-separated string). The configured list
 * replaces the built-in one.
 */
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK, jwtVerify, SignJWT } from "jose";
import { TENANT_CLAIM } from "../../functions/auth/claims";
import { AuthCodeFlow, OAuthFlowError } from "./auth-code";
import { answerAuthorize } from "./auth-pages";
import type { TokenClaims } from "./auth-trigger";
import { DEFAULT_USERS, LOCAL_CONSOLE_CLIENT_ID, type LocalUser, usersFromEnv } from "./auth-users";
import { readBody } from "./http-body";

export interface LocalClient {
  clientId: string;
  clientSecret: string;
  tenantId: string;
  /** Scopes the client may ask for (all of them when it asks for none). */
  scopes: string[];
}

export const DEFAULT_CLIENTS: readonly LocalClient[] = [
  {
    clientId: "demo-marketplace",
    clientSecret: "demo-marketplace-secret",
    tenantId: "demo",
    scopes: ["escrow/marketplace"],
  },
  { clientId: "demo-ops", clientSecret: "demo-ops-secret", tenantId: "demo", scopes: ["escrow/ops"] },
  {
    clientId: "other-marketplace",
    clientSecret: "other-marketplace-secret",
    tenantId: "other",
    scopes: ["escrow/marketplace"],
  },
];

export const CLIENTS_ENV = "ESCROW_LOCAL_CLIENTS";

/**
 * The clients configured through `ESCROW_LOCAL_CLIENTS` (JSON text or a JSON
 * file path), or undefined when it is not set. Throws on a malformed list.
 */
export function clientsFromEnv(env: NodeJS.ProcessEnv = process.env): LocalClient[] | undefined {
  const value = env[CLIENTS_ENV]?.trim();
  if (!value) return undefined;
  const text = value.startsWith("[") ? value : readFileSync(value, "utf8");
  return parseClients(JSON.parse(text) as unknown, CLIENTS_ENV);
}

export function parseClients(value: unknown, source = "clients"): LocalClient[] {
  if (!Array.isArray(value)) throw new Error(`${source}: expected a JSON array of clients`);
  const seen = new Set<string>();
  return value.map((c, i) => {
    const o = (c ?? {}) as Record<string, unknown>;
    const field = (k: string) => {
      const v = o[k];
      if (typeof v !== "string" || v === "")
        throw new Error(`${source}[${i}].${k}: expected a non-empty string`);
      return v;
    };
    const clientId = field("clientId");
    if (seen.has(clientId)) throw new Error(`${source}[${i}]: client ${clientId} is listed twice`);
    seen.add(clientId);
    const clientSecret = field("clientSecret");
    const tenantId = field("tenantId");
    const scopes = typeof o.scopes === "string" ? o.scopes.split(" ").filter(Boolean) : o.scopes;
    if (
      !Array.isArray(scopes) ||
      scopes.length === 0 ||
      !scopes.every((s) => typeof s === "string" && s !== "")
    )
      throw new Error(`${source}[${i}].scopes: expected a non-empty list of scopes`);
    return { clientId, clientSecret, tenantId, scopes: scopes as string[] };
  });
}

/** An OAuth error answer of the token endpoint. */
export class OAuthError extends Error {
  constructor(
    readonly error:
      | "invalid_request"
      | "invalid_client"
      | "unsupported_grant_type"
      | "invalid_scope"
      | "invalid_grant"
      | "unauthorized_client",
    readonly statusCode: 400 | 401 | 405,
    message: string = error,
  ) {
    super(message);
    this.name = "OAuthError";
  }
}

/** What API Gateway answers with 401 `{"message":"Unauthorized"}`. */
export class UnauthorizedError extends Error {
  readonly statusCode = 401;
  constructor(readonly reason: string) {
    super("Unauthorized");
    this.name = "UnauthorizedError";
  }
}

export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
}

export interface LocalAuthOptions {
  dataDir: string;
  /** The `iss` claim, e.g. "http://127.0.0.1:3000". */
  issuer: string;
  /** Defaults to `clientsFromEnv()` or else DEFAULT_CLIENTS. */
  clients?: readonly LocalClient[];
  /** People who sign in to the ops console; defaults to `usersFromEnv()` or else DEFAULT_USERS. */
  users?: readonly LocalUser[];
  tokenLifetimeSeconds?: number;
  /** Clock, epoch ms. */
  now?: () => number;
}

interface StoredKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest();
const sameSecret = (a: string, b: string) => timingSafeEqual(sha256(a), sha256(b));

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number) => String(n).padStart(2, "0");

/** Epoch seconds as API Gateway renders `exp`/`iat` claims: "Mon Jul 15 05:58:22 UTC 2019". */
export function gatewayDate(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

export class LocalAuth {
  readonly issuer: string;
  /** The ops console's sign-in (authorization code with PKCE). */
  readonly codeFlow: AuthCodeFlow;
  private readonly clientsById: Map<string, LocalClient>;
  /** The pool's trigger, once the functions run; until then (and in tests) the tenant claim directly. */
  private tokenClaims: TokenClaims = async (user) => ({ [TENANT_CLAIM]: user.tenantId });
  private readonly lifetime: number;
  private readonly now: () => number;

  private constructor(
    options: LocalAuthOptions,
    private readonly kid: string,
    private readonly privateKey: CryptoKey,
    private readonly publicKey: CryptoKey,
    private readonly publicJwk: JWK,
  ) {
    this.issuer = options.issuer;
    const clients = options.clients ?? clientsFromEnv() ?? DEFAULT_CLIENTS;
    this.clientsById = new Map(parseClients(clients).map((c) => [c.clientId, c]));
    this.lifetime = options.tokenLifetimeSeconds ?? 3600;
    this.now = options.now ?? Date.now;
    this.codeFlow = new AuthCodeFlow(
      options.users ?? usersFromEnv() ?? DEFAULT_USERS,
      LOCAL_CONSOLE_CLIENT_ID,
      this.now,
    );
  }

  /** Loads the signing key from `dataDir/auth/` (making it the first time). */
  static async create(options: LocalAuthOptions): Promise<LocalAuth> {
    const dir = join(options.dataDir, "auth");
    const file = join(dir, "signing-key.json");
    let stored: StoredKey;
    try {
      stored = JSON.parse(await readFile(file, "utf8")) as StoredKey;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      const pair = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
      const kid = randomUUID();
      stored = {
        kid,
        privateJwk: { ...(await exportJWK(pair.privateKey)), kid, alg: "RS256", use: "sig" },
        publicJwk: { ...(await exportJWK(pair.publicKey)), kid, alg: "RS256", use: "sig" },
      };
      await mkdir(dir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(stored), { mode: 0o600 });
      await rename(tmp, file);
    }
    const privateKey = (await importJWK(stored.privateJwk, "RS256")) as CryptoKey;
    const publicKey = (await importJWK(stored.publicJwk, "RS256")) as CryptoKey;
    return new LocalAuth(options, stored.kid, privateKey, publicKey, stored.publicJwk);
  }

  get clients(): LocalClient[] {
    return [...this.clientsById.values()];
  }

  /** client id → tenant id, to seed the table's client registrations. */
  tenantsByClient(): Map<string, string> {
    return new Map(this.clients.map((c) => [c.clientId, c.tenantId]));
  }

  tenantOf(clientId: string): string | undefined {
    return this.clientsById.get(clientId)?.tenantId;
  }

  /** The public key set (what Cognito serves at `/.well-known/jwks.json`). */
  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  /**
   * The client-credentials grant. `form` is the parsed token request body;
   * `authorization` the request's Authorization header, if any.
   */
  async issueToken(form: URLSearchParams, authorization?: string): Promise<TokenResponse> {
    const grant = form.get("grant_type");
    let id = form.get("client_id") ?? undefined;
    let secret = form.get("client_secret") ?? undefined;
    if (authorization !== undefined) {
      const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
      if (!m) throw new OAuthError("invalid_client", 401, "Malformed Basic authorization");
      const decoded = Buffer.from(m[1] as string, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon < 0) throw new OAuthError("invalid_client", 401, "Malformed Basic authorization");
      const basicId = safeDecode(decoded.slice(0, colon));
      const basicSecret = safeDecode(decoded.slice(colon + 1));
      if (id !== undefined && id !== basicId)
        throw new OAuthError("invalid_request", 400, "client_id does not match the Basic credentials");
      id = basicId;
      secret = basicSecret;
    }
    if (!grant) throw new OAuthError("invalid_request", 400, "grant_type is required");
    if (grant === "authorization_code" && authorization === undefined) return this.issueUserToken(form);
    if (grant !== "client_credentials") throw new OAuthError("unsupported_grant_type", 400);
    if (!id || secret === undefined)
      throw new OAuthError("invalid_client", 401, "Client authentication is required");
    const client = this.clientsById.get(id);
    // Compare against something even for an unknown client, so timing does not reveal which ids exist.
    const ok = sameSecret(secret, client?.clientSecret ?? "\u0000unknown") && client !== undefined;
    if (!ok || !client) throw new OAuthError("invalid_client", 401);
    const requested = (form.get("scope") ?? "").split(" ").filter(Boolean);
    if (requested.some((s) => !client.scopes.includes(s))) throw new OAuthError("invalid_scope", 400);
    const scopes = requested.length > 0 ? [...new Set(requested)] : client.scopes;
    return this.accessToken(client.clientId, { client_id: client.clientId, scope: scopes.join(" ") });
  }

  /** An access token for `sub` as Cognito signs one: `claims`, the token's use, time and version. */
  private async accessToken(sub: string, claims: Record<string, unknown>): Promise<TokenResponse> {
    const iat = Math.floor(this.now() / 1000);
    const accessToken = await new SignJWT({ ...claims, token_use: "access", auth_time: iat, version: 2 })
      .setProtectedHeader({ alg: "RS256", kid: this.kid })
      .setSubject(sub)
      .setIssuer(this.issuer)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.lifetime)
      .setJti(randomUUID())
      .sign(this.privateKey);
    return { access_token: accessToken, token_type: "Bearer", expires_in: this.lifetime };
  }

  /** Asks the stack's pre-token-generation trigger for a person's claims (infra/local/auth-trigger.ts). */
  useTokenClaims(claims: TokenClaims): void {
    this.tokenClaims = claims;
  }

  /**
   * The authorization code grant: a person's access token, with the claims of
   * a Cognito user access token (`sub`, `username`, `client_id`, `scope`) and
   * the tenant claim the stack's pre-token-generation trigger adds.
   */
  private async issueUserToken(form: URLSearchParams): Promise<TokenResponse> {
    let grant: ReturnType<AuthCodeFlow["exchange"]>;
    try {
      grant = this.codeFlow.exchange(form);
    } catch (error) {
      if (error instanceof OAuthFlowError) throw new OAuthError("invalid_grant", 400, error.message);
      throw error;
    }
    const added = await this.tokenClaims(grant.user, grant.clientId, grant.scope.split(" "));
    return this.accessToken(grant.sub, {
      ...added,
      client_id: grant.clientId,
      username: grant.user.username,
      scope: grant.scope,
    });
  }

  /**
   * What API Gateway's Cognito authorizer does with the Authorization header:
   * returns the claims (all strings) or throws UnauthorizedError. With
   * `scopes`, the token must carry at least one of them (a method's
   * AuthorizationScopes).
   */
  async verify(
    authorization: string | undefined,
    options: { scopes?: readonly string[] } = {},
  ): Promise<Record<string, string>> {
    if (!authorization) throw new UnauthorizedError("missing Authorization header");
    const m = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)\s*$/.exec(authorization);
    if (!m) throw new UnauthorizedError("Authorization is not a Bearer JWT");
    const token = m[1] as string;
    // A token whose signature was checked once is not checked again until it expires (API Gateway
    // caches authorizer results too); the expiry is still enforced on every request.
    let payload = this.verified.get(token);
    if (payload && Number(payload.exp) * 1000 <= this.now()) {
      this.verified.delete(token);
      payload = undefined;
    }
    if (!payload) payload = await this.verifySignature(token);
    return this.authorize(payload, options);
  }

  private readonly verified = new Map<string, Record<string, unknown>>();

  private async verifySignature(token: string): Promise<Record<string, unknown>> {
    let payload: Record<string, unknown>;
    try {
      const result = await jwtVerify(token, this.publicKey, {
        algorithms: ["RS256"],
        issuer: this.issuer,
        currentDate: new Date(this.now()),
        requiredClaims: ["exp", "iat", "sub"],
      });
      if (result.protectedHeader.kid !== this.kid) throw new Error("unknown kid");
      payload = result.payload as Record<string, unknown>;
    } catch (error) {
      throw new UnauthorizedError(`invalid token: ${(error as Error).message}`);
    }
    if (this.verified.size >= 10_000) this.verified.clear();
    this.verified.set(token, payload);
    return payload;
  }

  private authorize(
    payload: Record<string, unknown>,
    options: { scopes?: readonly string[] },
  ): Record<string, string> {
    if (payload.token_use !== "access") throw new UnauthorizedError("not an access token");
    const granted = String(payload.scope ?? "")
      .split(" ")
      .filter(Boolean);
    if (options.scopes && options.scopes.length > 0 && !options.scopes.some((s) => granted.includes(s)))
      throw new UnauthorizedError("the token has none of the method's scopes");
    const claims: Record<string, string> = {};
    for (const [k, v] of Object.entries(payload)) {
      if (v === undefined || v === null) continue;
      if ((k === "exp" || k === "iat") && typeof v === "number") claims[k] = gatewayDate(v);
      else claims[k] = typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v) : String(v);
    }
    return claims;
  }

  /** Answers a token endpoint request (method, headers and raw body) like Cognito. */
  async handleTokenRequest(
    method: string | undefined,
    headers: Record<string, string | string[] | undefined>,
    body: string,
  ): Promise<{ statusCode: number; headers: Record<string, string>; body: string }> {
    const out = {
      "content-type": "application/json;charset=UTF-8",
      "cache-control": "no-store",
      pragma: "no-cache",
    };
    try {
      if (method !== "POST") throw new OAuthError("invalid_request", 405, "POST only");
      const contentType = String(headers["content-type"] ?? "");
      if (!contentType.toLowerCase().startsWith("application/x-www-form-urlencoded"))
        throw new OAuthError(
          "invalid_request",
          400,
          "Content-Type must be application/x-www-form-urlencoded",
        );
      const auth = headers.authorization;
      const token = await this.issueToken(new URLSearchParams(body), Array.isArray(auth) ? auth[0] : auth);
      return { statusCode: 200, headers: out, body: JSON.stringify(token) };
    } catch (error) {
      const e = error instanceof OAuthError ? error : new OAuthError("invalid_request", 400, String(error));
      return {
        statusCode: e.statusCode,
        headers: e.statusCode === 401 ? { ...out, "www-authenticate": 'Basic realm="escrow-local"' } : out,
        body: JSON.stringify({ error: e.error }),
      };
    }
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    return s;
  }
}

/**
 * A request listener for `POST /oauth2/token` and `GET /.well-known/jwks.json`.
 * Returns false (without answering) for any other path, so it can sit in
 * front of another handler.
 */
export function createAuthRequestListener(
  auth: LocalAuth,
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/.well-known/jwks.json" && req.method === "GET") {
      const body = JSON.stringify(auth.jwks());
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
      return true;
    }
    if (path === "/oauth2/authorize") {
      await answerAuthorize(auth, req, res);
      return true;
    }
    if (path !== "/oauth2/token") return false;
    let answer: { statusCode: number; headers: Record<string, string>; body: string };
    try {
      answer = await auth.handleTokenRequest(
        req.method,
        req.headers,
        (
          await readBody(req, 64 * 1024, () => new OAuthError("invalid_request", 400, "body too large"))
        ).toString("utf8"),
      );
    } catch {
      answer = {
        statusCode: 400,
        headers: { "content-type": "application/json" },
        body: '{"error":"invalid_request"}',
      };
    }
    res.writeHead(answer.statusCode, { ...answer.headers, "content-length": Buffer.byteLength(answer.body) });
    res.end(answer.body);
    return true;
  };
}

/** A stand-alone HTTP server for the token endpoint (404 elsewhere). */
export function createAuthHttpServer(auth: LocalAuth): Server {
  const listener = createAuthRequestListener(auth);
  return createServer((req, res) => {
    void listener(req, res).then((handled) => {
      if (!handled) res.writeHead(404, { "content-type": "application/json" }).end('{"message":"Not Found"}');
    });
  });
}
