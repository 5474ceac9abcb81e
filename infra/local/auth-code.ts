import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { type LocalUser, subOf } from "./auth-users";

/**
 * The authorization code grant with PKCE (S256 only) of the local issuer,
 * shaped like a Cognito user pool's hosted sign-in (API.md v1.2): `GET
 * /oauth2/authorize` shows a sign-in page (fields Username and Password, a
 * button Sign in); a right password sends the browser back to the client's
 * redirect URI with a code, which `/oauth2/token` exchanges once, within five
 * minutes, for the verifier whose SHA-256 the challenge was.
 */

const CODE_SECONDS = 300;
/** What the local console may ask for: the ops scope (and `openid`, which Cognito's sign-in adds). */
export const USER_SCOPES = ["openid", "escrow/ops"];

export interface AuthorizeRequest {
  clientId: string;
  redirectUri: string;
  state: string;
  codeChallenge: string;
  scope: string;
}

interface Grant extends AuthorizeRequest {
  user: LocalUser;
  expiresAt: number;
}

export class OAuthFlowError extends Error {
  constructor(
    readonly error: "invalid_request" | "invalid_grant" | "unauthorized_client" | "invalid_scope",
    message: string,
  ) {
    super(message);
  }
}

const base64url = (b: Buffer) => b.toString("base64url");
const same = (a: string, b: string) =>
  timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());

/** Locally the console is served by the service itself, on the loopback: its `/ops/` is the only callback. */
export function isConsoleRedirect(uri: string): boolean {
  try {
    const u = new URL(uri);
    return (
      (u.protocol === "http:" || u.protocol === "https:") &&
      ["127.0.0.1", "localhost", "[::1]"].includes(u.hostname) &&
      u.pathname === "/ops/" &&
      u.search === "" &&
      u.hash === ""
    );
  } catch {
    return false;
  }
}

export class AuthCodeFlow {
  private readonly codes = new Map<string, Grant>();
  private readonly byName: Map<string, LocalUser>;

  constructor(
    users: readonly LocalUser[],
    private readonly consoleClientId: string,
    private readonly now: () => number = Date.now,
  ) {
    this.byName = new Map(users.map((u) => [u.username, u]));
  }

  get users(): LocalUser[] {
    return [...this.byName.values()];
  }

  /** Checks an authorize request's parameters; throws what the page says when they are wrong. */
  parse(params: URLSearchParams): AuthorizeRequest {
    const get = (k: string) => params.get(k) ?? "";
    if (get("client_id") !== this.consoleClientId)
      throw new OAuthFlowError("unauthorized_client", "Unknown client_id: sign in from the ops console.");
    if (!isConsoleRedirect(get("redirect_uri")))
      throw new OAuthFlowError("invalid_request", "redirect_uri is not the ops console's address.");
    if (get("response_type") !== "code")
      throw new OAuthFlowError("invalid_request", "response_type must be code.");
    if (get("code_challenge_method") !== "S256")
      throw new OAuthFlowError("invalid_request", "PKCE is required with code_challenge_method S256.");
    if (!/^[A-Za-z0-9_-]{43}$/.test(get("code_challenge")))
      throw new OAuthFlowError("invalid_request", "code_challenge must be a base64url SHA-256.");
    const scope = get("scope") || USER_SCOPES.join(" ");
    if (scope.split(" ").some((s) => s && !USER_SCOPES.includes(s)))
      throw new OAuthFlowError("invalid_scope", `scope may hold only ${USER_SCOPES.join(" and ")}.`);
    return {
      clientId: get("client_id"),
      redirectUri: get("redirect_uri"),
      state: get("state"),
      codeChallenge: get("code_challenge"),
      scope,
    };
  }

  /** The signed-in user's code, or null when the username or password is wrong. */
  signIn(request: AuthorizeRequest, username: string, password: string): string | null {
    const user = this.byName.get(username);
    // Compared even for an unknown user, so timing does not reveal which names exist.
    const ok = same(password, user?.password ?? "\u0000unknown") && user !== undefined;
    if (!ok || !user) return null;
    this.sweep();
    const code = base64url(randomBytes(32));
    this.codes.set(code, { ...request, user, expiresAt: this.now() + CODE_SECONDS * 1000 });
    return code;
  }

  /** Exchanges a code once: the same client and redirect URI, and the verifier of its challenge. */
  exchange(form: URLSearchParams): { user: LocalUser; sub: string; clientId: string; scope: string } {
    const code = form.get("code") ?? "";
    const grant = this.codes.get(code);
    this.codes.delete(code); // single use, whatever follows
    if (!grant || grant.expiresAt <= this.now())
      throw new OAuthFlowError("invalid_grant", "The code is unknown, used or expired.");
    if (
      (form.get("client_id") ?? "") !== grant.clientId ||
      (form.get("redirect_uri") ?? "") !== grant.redirectUri
    )
      throw new OAuthFlowError("invalid_grant", "client_id or redirect_uri differ from the authorization's.");
    const verifier = form.get("code_verifier") ?? "";
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier))
      throw new OAuthFlowError("invalid_grant", "code_verifier is missing or malformed.");
    const challenge = base64url(createHash("sha256").update(verifier).digest());
    if (!same(challenge, grant.codeChallenge))
      throw new OAuthFlowError("invalid_grant", "code_verifier does not match the code_challenge.");
    return {
      user: grant.user,
      sub: subOf(grant.user.username),
      clientId: grant.clientId,
      scope: grant.scope,
    };
  }

  private sweep(): void {
    const now = this.now();
    for (const [code, grant] of this.codes) if (grant.expiresAt <= now) this.codes.delete(code);
  }
}

const html = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

/** No script at all; the form posts back here, and the redirect after it goes to the console (same origin). */
export const SIGN_IN_PAGE_CSP =
  "default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** The sign-in page: the request's parameters ride along as hidden fields. */
export function signInPage(params: URLSearchParams, error?: string): string {
  const hidden = [...params]
    .filter(([k]) => !["username", "password"].includes(k))
    .map(([k, v]) => `<input type="hidden" name="${html(k)}" value="${html(v)}">`)
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign in — Escrow (local)</title></head>
<body>
<main>
<h1>Sign in to Escrow ops</h1>
<p>Local sign-in (the user pool's hosted sign-in page stands here in AWS).</p>
${error ? `<div role="alert">${html(error)}</div>` : ""}
<form method="post" action="/oauth2/authorize">
${hidden}
<p><label for="username">Username</label><br><input id="username" name="username" autocomplete="username" required autofocus></p>
<p><label for="password">Password</label><br><input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Sign in</button></p>
</form>
</main>
</body>
</html>
`;
}

/** A request the page cannot send anyone back from (unknown client, foreign redirect): said, never redirected. */
export function errorPage(message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in error</title></head><body><main><h1>Sign-in error</h1><div role="alert">${html(message)}</div></main></body></html>\n`;
}
