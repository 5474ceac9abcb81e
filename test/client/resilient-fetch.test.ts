import { describe, expect, it } from "vitest";
import { clientCredentials, createEscrowClient, retryAfterSeconds } from "../../client/src/index";

/**
 * What the client does around every request, against a scripted server:
 * idempotency keys, retries that honour Retry-After (waited through an
 * injected sleep, so no test waits in real time), tokens fetched, cached and
 * renewed.
 */

interface Seen {
  method: string;
  url: string;
  headers: Headers;
  body: string;
}

/** A fetch that records each request and answers from `script` in turn. */
function scripted(script: Array<(seen: Seen) => Response>) {
  const seen: Seen[] = [];
  const fetch = async (request: Request) => {
    const s = {
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: await request.text(),
    };
    seen.push(s);
    const next = script[Math.min(seen.length - 1, script.length - 1)];
    if (!next) throw new Error("no answer scripted");
    return next(s);
  };
  return { seen, fetch };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
const token = (t = "token-1", expiresIn = 3600) =>
  json(200, { access_token: t, token_type: "Bearer", expires_in: expiresIn });
const unavailable = (retryAfter: string) =>
  json(
    503,
    { code: "unavailable", status: 503 },
    { "Retry-After": retryAfter, "Content-Type": "application/problem+json" },
  );
const BODY = {
  buyerId: "u-1",
  sellerId: "u-2",
  amount: 100,
  currency: "CNY",
  paymentMethod: "pm_sandbox_ok",
} as const;

describe("the client's requests", () => {
  it("sends a generated Idempotency-Key with every POST that has none, and the same one on each retry after a 503", async () => {
    const { seen, fetch } = scripted([
      () => token(),
      () => unavailable("3"),
      () => unavailable("1"),
      () => json(202, { id: "esc_1", status: "FUNDED" }),
    ]);
    const waits: number[] = [];
    const escrow = createEscrowClient({
      baseUrl: "http://api.test/",
      credentials: { clientId: "id", clientSecret: "secret" },
      fetch,
      sleep: async (ms) => void waits.push(ms),
    });
    const { data, response } = await escrow.POST("/v1/escrows/{id}/confirmation", {
      params: { path: { id: "esc_1" } },
      body: { actorId: "u-1" },
    });
    expect(response.status).toBe(202);
    expect(data?.status).toBe("FUNDED");
    expect(seen[0]?.url).toBe("http://api.test/oauth2/token");
    expect(seen[0]?.headers.get("Authorization")).toBe(
      `Basic ${Buffer.from("id:secret").toString("base64")}`,
    );
    const posts = seen.slice(1);
    expect(posts).toHaveLength(3);
    const keys = posts.map((p) => p.headers.get("Idempotency-Key"));
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
    expect(posts.every((p) => p.body === JSON.stringify({ actorId: "u-1" }))).toBe(true);
    expect(posts.every((p) => p.headers.get("Authorization") === "Bearer token-1")).toBe(true);
    // Retry-After honoured: 3 s, then 1 s.
    expect(waits).toEqual([3000, 1000]);
  });

  it("keeps the caller's Idempotency-Key (a create's is required by its type), and sends none with a GET", async () => {
    const { seen, fetch } = scripted([
      () => token(),
      () => json(201, { id: "esc_1" }),
      () => json(200, { id: "esc_1" }),
    ]);
    const escrow = createEscrowClient({
      baseUrl: "http://api.test",
      credentials: { clientId: "a", clientSecret: "b" },
      fetch,
    });
    await escrow.POST("/v1/escrows", { params: { header: { "Idempotency-Key": "order-42" } }, body: BODY });
    await escrow.GET("/v1/escrows/{id}", { params: { path: { id: "esc_1" } } });
    expect(seen[1]?.headers.get("Idempotency-Key")).toBe("order-42");
    expect(seen[2]?.headers.has("Idempotency-Key")).toBe(false);
    // One token for both requests.
    expect(seen.filter((s) => s.url.endsWith("/oauth2/token"))).toHaveLength(1);
  });

  it("gives up after the retries it is allowed, and hands back a Retry-After longer than it waits", async () => {
    const waits: number[] = [];
    const always = scripted([() => unavailable("1")]);
    const escrow = createEscrowClient({
      baseUrl: "http://api.test",
      tokens: { token: async () => "t", invalidate: () => {} },
      fetch: always.fetch,
      maxRetries: 2,
      sleep: async (ms) => void waits.push(ms),
    });
    const { error, response } = await escrow.GET("/v1/escrows/{id}", { params: { path: { id: "esc_1" } } });
    expect(response.status).toBe(503);
    expect(error).toMatchObject({ code: "unavailable" });
    expect(always.seen).toHaveLength(3);
    expect(waits).toEqual([1000, 1000]);

    const long = scripted([() => unavailable("120")]);
    const patient = createEscrowClient({
      baseUrl: "http://api.test",
      tokens: { token: async () => "t", invalidate: () => {} },
      fetch: long.fetch,
      sleep: async () => {
        throw new Error("must not wait two minutes");
      },
    });
    expect(
      (await patient.GET("/v1/escrows/{id}", { params: { path: { id: "esc_1" } } })).response.status,
    ).toBe(503);
    expect(long.seen).toHaveLength(1);
  });

  it("fetches a new token once when the API says the token is invalid", async () => {
    const { seen, fetch } = scripted([
      () => token("old"),
      () =>
        json(
          401,
          { code: "unauthorized" },
          { "WWW-Authenticate": 'Bearer realm="escrow", error="invalid_token"' },
        ),
      () => token("new"),
      () => json(200, { id: "esc_1" }),
    ]);
    const escrow = createEscrowClient({
      baseUrl: "http://api.test",
      credentials: { clientId: "a", clientSecret: "b" },
      fetch,
    });
    const { response } = await escrow.GET("/v1/escrows/{id}", { params: { path: { id: "esc_1" } } });
    expect(response.status).toBe(200);
    expect(seen.map((s) => s.headers.get("Authorization")?.split(" ")[0])).toEqual([
      "Basic",
      "Bearer",
      "Basic",
      "Bearer",
    ]);
    expect(seen[3]?.headers.get("Authorization")).toBe("Bearer new");
  });

  it("renews a token a minute before it expires", async () => {
    let now = 0;
    let issued = 0;
    const tokens = clientCredentials(
      { clientId: "a", clientSecret: "b", tokenUrl: "http://api.test/oauth2/token" },
      { fetch: async () => token(`t${++issued}`, 3600), now: () => now },
    );
    expect(await Promise.all([tokens.token(), tokens.token()])).toEqual(["t1", "t1"]);
    now = 3_539_000;
    expect(await tokens.token()).toBe("t1");
    now = 3_540_000;
    expect(await tokens.token()).toBe("t2");
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    expect(retryAfterSeconds("4")).toBe(4);
    expect(retryAfterSeconds(new Date(10_000).toUTCString(), 4_000)).toBe(6);
    expect(retryAfterSeconds("soon")).toBeUndefined();
    expect(retryAfterSeconds(null)).toBeUndefined();
  });
});
