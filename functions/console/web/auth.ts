/**
 * Signing in with the authorization code grant and PKCE (S256), as API.md
 * v1.2 says: the user pool's sign-in page in AWS, the local issuer's locally.
 * The token lives in this tab's sessionStorage only (a reload keeps the user
 * signed in on the same page; closing the tab signs out), never in a cookie
 * or localStorage.
 */
export interface ConsoleConfig {
  clientId: string;
  /** The sign-in origin: `/oauth2/authorize` and `/oauth2/token` are under it. */
  authUrl: string;
  /** The console's own URL (its `/ops/`), which is also the callback. */
  home: string;
}

export interface Session {
  accessToken: string;
  username: string;
  expiresAt: number;
}

const SESSION = "escrow-ops.session";
const PENDING = "escrow-ops.sign-in";
export const SCOPE = "openid escrow/ops";

const base64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
const random = (n: number) => base64url(crypto.getRandomValues(new Uint8Array(n)));

/** The access token's claims (read, not verified: the API verifies it). */
function claimsOf(token: string): Record<string, unknown> {
  const part = token.split(".")[1] ?? "";
  const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
}

export function currentSession(): Session | null {
  const stored = sessionStorage.getItem(SESSION);
  if (!stored) return null;
  const session = JSON.parse(stored) as Session;
  if (session.expiresAt <= Date.now()) {
    sessionStorage.removeItem(SESSION);
    return null;
  }
  return session;
}

export function signOut(): void {
  sessionStorage.removeItem(SESSION);
}

/** Goes to the sign-in page; `returnTo` (a path under the console) is where the user comes back to. */
export async function signIn(config: ConsoleConfig, returnTo: string): Promise<void> {
  const verifier = random(48);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  const state = random(24);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, returnTo }));
  const url = new URL(`${config.authUrl}/oauth2/authorize`);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: config.clientId,
    redirect_uri: config.home,
    scope: SCOPE,
    state,
    code_challenge: base64url(new Uint8Array(digest)),
    code_challenge_method: "S256",
  }).toString();
  location.assign(url.toString());
}

/**
 * Back from the sign-in page with `?code=&state=`: the code is exchanged for
 * tokens (with the verifier only this tab knows), and the address goes back
 * to the page the user signed in from. Null when this is not a callback.
 */
export async function completeSignIn(config: ConsoleConfig): Promise<{ returnTo: string } | null> {
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  const error = params.get("error");
  if (!code && !error) return null;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? "null") as {
    verifier: string;
    state: string;
    returnTo: string;
  } | null;
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, "", pending?.returnTo ?? config.home);
  if (error) throw new Error(`Sign-in failed: ${params.get("error_description") ?? error}.`);
  if (!pending || params.get("state") !== pending.state)
    throw new Error("Sign-in failed: the answer does not belong to this tab's sign-in. Sign in again.");
  const res = await fetch(`${config.authUrl}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: config.clientId,
      code: code ?? "",
      redirect_uri: config.home,
      code_verifier: pending.verifier,
    }),
  });
  if (!res.ok) throw new Error("Sign-in failed: the sign-in service refused the code. Sign in again.");
  const token = (await res.json()) as { access_token: string; expires_in: number };
  const claims = claimsOf(token.access_token);
  const session: Session = {
    accessToken: token.access_token,
    username: String(claims.username ?? claims.sub ?? "ops"),
    expiresAt: Date.now() + (token.expires_in - 30) * 1000,
  };
  sessionStorage.setItem(SESSION, JSON.stringify(session));
  return { returnTo: pending.returnTo };
}
