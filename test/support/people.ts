import { createHash, randomBytes } from "node:crypto";

/**
 * An ops user signing in to the local service as the console does, without a
 * browser: the authorization code grant with PKCE (S256) against the local
 * issuer's sign-in form, then the code exchanged for an access token.
 */
export const OPS_USERS = {
  alice: { username: "ops-alice", password: "ops-alice-password" },
  bob: { username: "ops-bob", password: "ops-bob-password" },
  olga: { username: "ops-olga", password: "ops-olga-password" },
} as const;
export type OpsUserName = keyof typeof OPS_USERS;

export async function signInAs(url: string, who: OpsUserName): Promise<string> {
  const { username, password } = OPS_USERS[who];
  const verifier = randomBytes(48).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const redirectUri = `${url}/ops/`;
  const form = new URLSearchParams({
    response_type: "code",
    client_id: "ops-console",
    redirect_uri: redirectUri,
    scope: "openid escrow/ops",
    state: "s",
    code_challenge: challenge,
    code_challenge_method: "S256",
    username,
    password,
  });
  const back = await fetch(`${url}/oauth2/authorize`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form,
    redirect: "manual",
  });
  const code = new URL(back.headers.get("location") ?? `${url}/`).searchParams.get("code");
  if (back.status !== 302 || !code) throw new Error(`sign-in of ${username} failed: ${back.status}`);
  const res = await fetch(`${url}/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: "ops-console",
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    }),
  });
  if (res.status !== 200) throw new Error(`token of ${username} refused: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}
