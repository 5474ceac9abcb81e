import { createHash, randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { decodeJwt } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAuthHttpServer, DEFAULT_CLIENTS, LocalAuth } from "../../infra/local/auth";
import {
  DEFAULT_USERS,
  LOCAL_CONSOLE_CLIENT_ID,
  parseUsers,
  subOf,
  usersFromEnv,
} from "../../infra/local/auth-users";
import { closeServer, listen, removeDir, tempDir } from "./helpers";

/**
 * The local issuer's sign-in for people (API.md v1.2): the authorization
 * code grant with PKCE (S256 only), the built-in ops users, and tokens that
 * carry scope escrow/ops, the tenant, `sub` and `username`.
 */
let dir: string;
let server: Server | undefined;
let base: string;
let auth: LocalAuth;

beforeEach(async () => {
  dir = await tempDir("auth-code");
  auth = await LocalAuth.create({
    dataDir: dir,
    issuer: "http://127.0.0.1/escrow-local",
    clients: DEFAULT_CLIENTS,
  });
  server = createAuthHttpServer(auth);
  base = await listen(server);
});
afterEach(async () => {
  if (server) await closeServer(server);
  await removeDir(dir);
});

const b64url = (b: Buffer) => b.toString("base64url");
function pkce() {
  const verifier = b64url(randomBytes(48));
  return { verifier, challenge: b64url(createHash("sha256").update(verifier).digest()) };
}
const redirect = () => `${base}/ops/`;
const authorizeParams = (challenge: string, extra: Record<string, string> = {}) =>
  new URLSearchParams({
    response_type: "code",
    client_id: LOCAL_CONSOLE_CLIENT_ID,
    redirect_uri: redirect(),
    scope: "openid escrow/ops",
    state: "st-1",
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...extra,
  });

async function signIn(username: string, password: string, challenge: string) {
  const params = authorizeParams(challenge);
  params.set("username", username);
  params.set("password", password);
  return fetch(`${base}/oauth2/authorize`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: params,
    redirect: "manual",
  });
}

const exchange = (fields: Record<string, string>) =>
  fetch(`${base}/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: LOCAL_CONSOLE_CLIENT_ID,
      redirect_uri: redirect(),
      ...fields,
    }),
  });

describe("the local sign-in page", () => {
  it("has fields labelled Username and Password and a button Sign in, and runs no script", async () => {
    const res = await fetch(`${base}/oauth2/authorize?${authorizeParams(pkce().challenge)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toMatch(/default-src 'none'/);
    const html = await res.text();
    expect(html).toMatch(/<label for="username">Username<\/label>/);
    expect(html).toMatch(/<label for="password">Password<\/label>/);
    expect(html).toMatch(/<button type="submit">Sign in<\/button>/);
    expect(html).not.toMatch(/<script/);
  });

  it("refuses plain PKCE, a missing challenge, another client and a redirect off the console", async () => {
    const { challenge } = pkce();
    for (const extra of <Record<string, string>[]>[
      { code_challenge_method: "plain" },
      { code_challenge: "" },
      { client_id: "demo-ops" },
      { redirect_uri: "https://evil.example/ops/" },
      { redirect_uri: `${base}/elsewhere/` },
      { scope: "escrow/marketplace" },
    ]) {
      const res = await fetch(`${base}/oauth2/authorize?${authorizeParams(challenge, extra)}`, {
        redirect: "manual",
      });
      expect(res.status, JSON.stringify(extra)).toBe(400);
      expect(res.headers.get("location")).toBeNull();
    }
  });
});

describe("the authorization code grant", () => {
  it("sends the user back with a code that becomes a token of the ops scope, the tenant, sub and username", async () => {
    const { verifier, challenge } = pkce();
    const back = await signIn("ops-alice", "ops-alice-password", challenge);
    expect(back.status).toBe(302);
    const location = new URL(back.headers.get("location") ?? "");
    expect(`${location.origin}${location.pathname}`).toBe(redirect());
    expect(location.searchParams.get("state")).toBe("st-1");
    const code = location.searchParams.get("code") ?? "";
    const res = await exchange({ code, code_verifier: verifier });
    expect(res.status).toBe(200);
    const token = (await res.json()) as { access_token: string; token_type: string; expires_in: number };
    expect(token.token_type).toBe("Bearer");
    const claims = decodeJwt(token.access_token);
    expect(claims).toMatchObject({
      sub: subOf("ops-alice"),
      username: "ops-alice",
      tenant: "demo",
      token_use: "access",
      client_id: LOCAL_CONSOLE_CLIENT_ID,
    });
    expect(String(claims.scope).split(" ")).toContain("escrow/ops");
    // The API Gateway authorizer's view of it: a valid token of the ops scope.
    const verified = await auth.verify(`Bearer ${token.access_token}`, { scopes: ["escrow/ops"] });
    expect(verified).toMatchObject({ username: "ops-alice", tenant: "demo" });
    // A code is good once.
    expect((await exchange({ code, code_verifier: verifier })).status).toBe(400);
  });

  it("needs the verifier of the challenge, the same redirect URI, and the right password", async () => {
    const { verifier, challenge } = pkce();
    const wrong = await signIn("ops-alice", "nope", challenge);
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toMatch(/role="alert">Wrong username or password/);
    expect((await signIn("nobody", "ops-alice-password", challenge)).status).toBe(401);

    const codeOf = async () =>
      new URL(
        (await signIn("ops-bob", "ops-bob-password", challenge)).headers.get("location") ?? "",
      ).searchParams.get("code") ?? "";
    const res = await exchange({ code: await codeOf(), code_verifier: pkce().verifier });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "invalid_grant" });
    expect(
      (await exchange({ code: await codeOf(), code_verifier: verifier, redirect_uri: `${base}/ops/x` }))
        .status,
    ).toBe(400);
    expect((await exchange({ code: await codeOf(), code_verifier: verifier })).status).toBe(200);
  });
});

describe("the built-in ops users", () => {
  it("are API.md's three, overridable by ESCROW_LOCAL_USERS", () => {
    expect(DEFAULT_USERS).toEqual([
      { username: "ops-alice", password: "ops-alice-password", tenantId: "demo" },
      { username: "ops-bob", password: "ops-bob-password", tenantId: "demo" },
      { username: "ops-olga", password: "ops-olga-password", tenantId: "other" },
    ]);
    expect(usersFromEnv({ ESCROW_LOCAL_USERS: '[{"username":"u","password":"p","tenantId":"t"}]' })).toEqual([
      { username: "u", password: "p", tenantId: "t" },
    ]);
    expect(() => parseUsers([{ username: "u", password: "p" }])).toThrow(/tenantId/);
    expect(subOf("ops-alice")).not.toBe(subOf("ops-bob"));
  });
});
