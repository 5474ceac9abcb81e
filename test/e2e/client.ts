/** A small HTTP client for the end-to-end tests: tokens, JSON calls, polling. */
export interface Answer<T = any> {
  status: number;
  headers: Headers;
  body: T;
  contentType: string;
}

export const CLIENTS = {
  marketplace: { id: "demo-marketplace", secret: "demo-marketplace-secret" },
  ops: { id: "demo-ops", secret: "demo-ops-secret" },
  other: { id: "other-marketplace", secret: "other-marketplace-secret" },
} as const;

export class Api {
  private tokens = new Map<string, string>();
  constructor(readonly url: string) {}

  async token(client: keyof typeof CLIENTS = "marketplace"): Promise<string> {
    const cached = this.tokens.get(client);
    if (cached) return cached;
    const { id, secret } = CLIENTS[client];
    const res = await fetch(`${this.url}/oauth2/token`, {
      method: "POST",
      headers: {
        Authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`,
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: "grant_type=client_credentials",
    });
    if (res.status !== 200) throw new Error(`token for ${client}: ${res.status} ${await res.text()}`);
    const { access_token } = (await res.json()) as { access_token: string };
    this.tokens.set(client, access_token);
    return access_token;
  }

  async call<T = any>(
    method: string,
    path: string,
    options: {
      body?: unknown;
      raw?: string;
      as?: keyof typeof CLIENTS;
      token?: string | null;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Answer<T>> {
    const token = options.token === undefined ? await this.token(options.as ?? "marketplace") : options.token;
    const headers: Record<string, string> = {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...options.headers,
    };
    let body: string | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["Content-Type"] ??= "application/json";
    }
    const res = await fetch(`${this.url}${path}`, { method, headers, body });
    const text = await res.text();
    const contentType = res.headers.get("content-type") ?? "";
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, headers: res.headers, body: parsed as T, contentType };
  }

  create(
    body: Record<string, unknown>,
    key = `k-${crypto.randomUUID()}`,
    as: keyof typeof CLIENTS = "marketplace",
  ) {
    return this.call("POST", "/v1/escrows", { body, as, headers: { "Idempotency-Key": key } });
  }

  act(
    id: string,
    action: string,
    body: Record<string, unknown>,
    options: { key?: string; as?: keyof typeof CLIENTS } = {},
  ) {
    const path = action === "resolution" ? `/v1/ops/escrows/${id}/resolution` : `/v1/escrows/${id}/${action}`;
    return this.call("POST", path, {
      body,
      as: options.as ?? (action === "resolution" ? "ops" : "marketplace"),
      headers: options.key ? { "Idempotency-Key": options.key } : {},
    });
  }

  get(id: string, as: keyof typeof CLIENTS = "marketplace") {
    return this.call("GET", `/v1/escrows/${id}`, { as });
  }

  /** Polls until the escrow satisfies `done` (by default: reaches `status` with nothing pending). */
  async waitFor(id: string, status: string, timeoutMs = 30_000): Promise<any> {
    const until = Date.now() + timeoutMs;
    let last: any;
    while (Date.now() < until) {
      last = (await this.get(id)).body;
      if (last?.status === status && last?.pendingAction === null) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `escrow ${id} did not reach ${status} in ${timeoutMs} ms; last seen ${JSON.stringify(last)}`,
    );
  }

  async notifications(
    escrowId: string,
  ): Promise<{ messageId: string; attributes: Record<string, string>; event: any }[]> {
    const res = await fetch(`${this.url}/_local/notifications?escrowId=${escrowId}`);
    return ((await res.json()) as { items: any[] }).items;
  }

  /** Polls until the escrow's published event types equal `types` (in order). */
  async waitForEvents(escrowId: string, types: string[], timeoutMs = 15_000): Promise<any[]> {
    const until = Date.now() + timeoutMs;
    let items: any[] = [];
    while (Date.now() < until) {
      items = await this.notifications(escrowId);
      if (items.length >= types.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return items;
  }
}

export const order = (overrides: Record<string, unknown> = {}) => ({
  buyerId: "u-1001",
  sellerId: "u-2002",
  amount: 12999,
  currency: "CNY",
  fee: 390,
  paymentMethod: "pm_sandbox_ok",
  description: "Second-hand bicycle",
  listingRef: "listing-88",
  ...overrides,
});
