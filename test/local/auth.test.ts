import { readFile, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import { join } from "node:path";
import { decodeJwt, decodeProtectedHeader, generateKeyPair, importJWK, SignJWT } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  clientsFromEnv,
  createAuthHttpServer,
  DEFAULT_CLIENTS,
  gatewayDate,
  LocalAuth,
  type LocalAuthOptions,
  UnauthorizedError,
} from "../../infra/local/auth";
import { closeServer, listen, removeDir, tempDir } from "./helpers";

const ISSUER = "http://127.0.0.1:3000";
let dir: string;
const servers: Server[] = [];

beforeEach(async () => {
  dir = await tempDir("auth");
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map(closeServer));
  await removeDir(dir);
});

const auth = (options: Partial<LocalAuthOptions> = {}) =>
  LocalAuth.create({ dataDir: dir, issuer: ISSUER, clients: DEFAULT_CLIENTS, ...options });

async function endpoint(a: LocalAuth): Promise<string> {
  const server = createAuthHttpServer(a);
  servers.push(server);
  return `${await listen(server)}/oauth2/token`;
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;
const form = { "content-type": "application/x-www-form-urlencoded" };

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: "POST", headers: { ...form, ...headers }, body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

describe("LocalAuth token endpoint", () => {
  it("issues a Cognito-shaped RS256 access token for the client-credentials grant (Basic auth)", async () => {
    const a = await auth();
    const url = await endpoint(a);
    const res = await post(url, "grant_type=client_credentials", {
      authorization: basic("demo-marketplace", "demo-marketplace-secret"),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.body).toMatchObject({ token_type: "Bearer", expires_in: 3600 });
    const token = res.body.access_token as string;
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: "RS256" });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      sub: "demo-marketplace",
      client_id: "demo-marketplace",
      token_use: "access",
      scope: "escrow/marketplace",
      iss: ISSUER,
      version: 2,
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);

    const verified = await a.verify(`Bearer ${token}`, { scopes: ["escrow/marketplace", "escrow/ops"] });
    expect(verified).toMatchObject({
      sub: "demo-marketplace",
      client_id: "demo-marketplace",
      token_use: "access",
      scope: "escrow/marketplace",
      iss: ISSUER,
      version: "2",
      exp: gatewayDate(claims.exp as number),
      iat: gatewayDate(claims.iat as number),
      auth_time: String(claims.iat),
    });
    for (const v of Object.values(verified)) expect(typeof v).toBe("string");
    expect(verified.exp).toMatch(
      /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}$/,
    );
  });

  it("accepts client_id/client_secret in the form, and a requested subset of the allowed scopes", async () => {
    const a = await auth({
      clients: [
        {
          clientId: "multi",
          clientSecret: "pw",
          tenantId: "t",
          scopes: ["escrow/marketplace", "escrow/ops"],
        },
      ],
    });
    const url = await endpoint(a);
    const all = await post(url, "grant_type=client_credentials&client_id=multi&client_secret=pw");
    expect(decodeJwt(all.body.access_token as string).scope).toBe("escrow/marketplace escrow/ops");
    const one = await post(
      url,
      "grant_type=client_credentials&client_id=multi&client_secret=pw&scope=escrow%2Fops",
    );
    expect(decodeJwt(one.body.access_token as string).scope).toBe("escrow/ops");
  });

  it("answers the OAuth errors Cognito answers", async () => {
    const url = await endpoint(await auth());
    const good = basic("demo-ops", "demo-ops-secret");
    const cases: Array<[string, Record<string, string>, number, string]> = [
      ["grant_type=client_credentials", { authorization: basic("demo-ops", "wrong") }, 401, "invalid_client"],
      [
        "grant_type=client_credentials",
        { authorization: basic("nobody", "demo-ops-secret") },
        401,
        "invalid_client",
      ],
      ["grant_type=client_credentials", {}, 401, "invalid_client"],
      ["grant_type=client_credentials&client_id=demo-ops", {}, 401, "invalid_client"],
      ["scope=escrow%2Fops", { authorization: good }, 400, "invalid_request"],
      ["grant_type=password&username=a&password=b", { authorization: good }, 400, "unsupported_grant_type"],
      [
        "grant_type=client_credentials&scope=escrow%2Fmarketplace",
        { authorization: good },
        400,
        "invalid_scope",
      ],
      [
        "grant_type=client_credentials&scope=escrow%2Fops+admin",
        { authorization: good },
        400,
        "invalid_scope",
      ],
    ];
    for (const [body, headers, status, error] of cases) {
      const res = await post(url, body, headers);
      expect({ body, status: res.status, error: res.body.error }).toEqual({ body, status, error });
    }
    const json = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: good },
      body: JSON.stringify({ grant_type: "client_credentials" }),
    });
    expect(json.status).toBe(400);
    expect(await json.json()).toEqual({ error: "invalid_request" });
  });

  it("keeps its signing key under dataDir: tokens survive a restart, another dataDir's tokens do not verify", async () => {
    const first = await auth();
    const { access_token } = await first.issueToken(
      new URLSearchParams("grant_type=client_credentials"),
      basic("demo-marketplace", "demo-marketplace-secret"),
    );
    const again = await auth();
    await expect(again.verify(`Bearer ${access_token}`)).resolves.toMatchObject({
      client_id: "demo-marketplace",
    });
    expect(again.jwks()).toEqual(first.jwks());
    expect(JSON.stringify(again.jwks())).not.toMatch(/"d":/);

    const elsewhere = await LocalAuth.create({
      dataDir: join(dir, "other"),
      issuer: ISSUER,
      clients: DEFAULT_CLIENTS,
    });
    await expect(elsewhere.verify(`Bearer ${access_token}`)).rejects.toBeInstanceOf(UnauthorizedError);
  });
});

describe("LocalAuth.verify (the Cognito authorizer)", () => {
  async function tokenFor(a: LocalAuth, client = "demo-marketplace") {
    const c = DEFAULT_CLIENTS.find((x) => x.clientId === client);
    return (
      await a.issueToken(
        new URLSearchParams("grant_type=client_credentials"),
        basic(client, c?.clientSecret ?? ""),
      )
    ).access_token;
  }

  it("rejects anything but a current RS256 access token of this issuer with the right scope", async () => {
    const a = await auth();
    const token = await tokenFor(a);
    const [h, p, s] = token.split(".") as [string, string, string];
    const claims = decodeJwt(token);
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

    const rejected = async (header: string | undefined, scopes?: string[]) => {
      const error = await a.verify(header, scopes ? { scopes } : {}).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, String(header)).toBeInstanceOf(UnauthorizedError);
      return (error as UnauthorizedError).reason;
    };

    await expect(a.verify(`Bearer ${token}`)).resolves.toBeTruthy();
    await rejected(undefined);
    await rejected(token); // no "Bearer "
    await rejected(basic("demo-marketplace", "demo-marketplace-secret"));
    // alg: none
    await rejected(`Bearer ${b64({ alg: "none", typ: "JWT" })}.${p}.`);
    // HS256 signed with the public key as the HMAC secret (key confusion)
    const { kid } = decodeProtectedHeader(token);
    const hs = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", kid: kid as string })
      .sign(new TextEncoder().encode(JSON.stringify(a.jwks().keys[0])));
    await rejected(`Bearer ${hs}`);
    // Forged payload with the original signature
    await rejected(`Bearer ${h}.${b64({ ...claims, scope: "escrow/ops" })}.${s}`);
    // Signed by another RSA key with the same kid
    const other = await generateKeyPair("RS256");
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: kid as string })
      .sign(other.privateKey);
    await rejected(`Bearer ${forged}`);
    // Expired: the same token an hour and a bit later
    const later = await auth({ now: () => Date.now() + 3601_000 });
    await expect(later.verify(`Bearer ${token}`)).rejects.toBeInstanceOf(UnauthorizedError);
    // Another issuer with the same key
    const otherIssuer = await auth({ issuer: "http://localhost:9999" });
    await expect(otherIssuer.verify(`Bearer ${token}`)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(otherIssuer.verify(`Bearer ${await tokenFor(otherIssuer)}`)).resolves.toBeTruthy();
    // Signed with our own key, but an id token, not an access token
    const stored = JSON.parse(await readFile(join(dir, "auth", "signing-key.json"), "utf8"));
    const idToken = await new SignJWT({ ...claims, token_use: "id" })
      .setProtectedHeader({ alg: "RS256", kid: kid as string })
      .sign(await importJWK(stored.privateJwk, "RS256"));
    expect(await rejected(`Bearer ${idToken}`)).toBe("not an access token");
    // Scope: a marketplace token on an ops-only method
    expect(await rejected(`Bearer ${token}`, ["escrow/ops"])).toMatch(/scope/);
    await expect(
      a.verify(`Bearer ${await tokenFor(a, "demo-ops")}`, { scopes: ["escrow/ops"] }),
    ).resolves.toBeTruthy();
  });
});

describe("client configuration", () => {
  it("reads ESCROW_LOCAL_CLIENTS as JSON text or as a file path, and maps clients to tenants", async () => {
    const list = [
      { clientId: "acme", clientSecret: "s", tenantId: "acme-t", scopes: "escrow/marketplace escrow/ops" },
    ];
    expect(clientsFromEnv({ ESCROW_LOCAL_CLIENTS: JSON.stringify(list) })).toEqual([
      {
        clientId: "acme",
        clientSecret: "s",
        tenantId: "acme-t",
        scopes: ["escrow/marketplace", "escrow/ops"],
      },
    ]);
    const file = join(dir, "clients.json");
    await writeFile(file, JSON.stringify(list));
    expect(clientsFromEnv({ ESCROW_LOCAL_CLIENTS: file })?.[0]?.clientId).toBe("acme");
    expect(clientsFromEnv({})).toBeUndefined();
    expect(() => clientsFromEnv({ ESCROW_LOCAL_CLIENTS: '[{"clientId":"x"}]' })).toThrow(/clientSecret/);

    const a = await auth();
    expect(Object.fromEntries(a.tenantsByClient())).toEqual({
      "demo-marketplace": "demo",
      "demo-ops": "demo",
      "other-marketplace": "other",
    });
    expect(a.tenantOf("other-marketplace")).toBe("other");
    expect(a.tenantOf("nobody")).toBeUndefined();

    const configured = await auth({ clients: clientsFromEnv({ ESCROW_LOCAL_CLIENTS: file }) });
    expect(configured.clients.map((c) => c.clientId)).toEqual(["acme"]);
    await expect(
      configured.issueToken(
        new URLSearchParams("grant_type=client_credentials"),
        basic("demo-ops", "demo-ops-secret"),
      ),
    ).rejects.toMatchObject({ error: "invalid_client" });
  });
});
