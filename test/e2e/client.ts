/**
 * A small HTTP client for the end-to-end tests: tokens (from the TypeScript
 * client's token source), raw JSON calls (the tests send what a typed client
 * never would), polling (test/support/wait.ts) and the local service's own
 * routes (`/_local/...`). Tests that act as an integration use the typed
 * client itself (client/).
 */
import { clientCredentials, type TokenSource } from "../../client/src/index";
import { waitFor } from "../support/wait";
import { expectValidEvents } from "./event-validation";

export { BUYER, order, SELLER } from "../support/orders";

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

/** `POST /oauth2/token` with HTTP Basic client credentials, as a marketplace's backend asks Cognito. */
export const requestToken = (
  url: string,
  id: string,
  secret: string,
  form = "grant_type=client_credentials",
) =>
  fetch(`${url}/oauth2/token`, {
    method: "POST",
    headers: {
      Authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`,
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: form,
  });

export class Api {
  private tokens = new Map<string, TokenSource>();
  /** The service's base URL, or how to read it once the service has started. */
  constructor(private readonly base: string | (() => string)) {}

  get url(): string {
    return typeof this.base === "string" ? this.base : this.base();
  }

  /** A token of the client, fetched and renewed by the TypeScript client's own token source. */
  async token(client: keyof typeof CLIENTS = "marketplace"): Promise<string> {
    let source = this.tokens.get(client);
    if (!source) {
      const { id, secret } = CLIENTS[client];
      source = clientCredentials({
        clientId: id,
        clientSecret: secret,
        tokenUrl: `${this.url}/oauth2/token`,
      });
      this.tokens.set(client, source);
    }
    return source.token();
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
    const send = () => fetch(`${this.url}${path}`, { method, headers, body });
    // A kept-alive connection the server closed just as it was reused ("other side closed"): the request
    // never reached the service, so it is sent once more, on a new connection. Seen on a loaded machine
    // after a test was idle longer than the service's keep-alive (5 s).
    const res = await send().catch((error: Error & { cause?: { code?: string } }) => {
      if (error.cause?.code !== "UND_ERR_SOCKET") throw error;
      return send();
    });
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

  /** Polls until the escrow reaches `status` with nothing pending; throws with the last state seen otherwise. */
  async waitFor(id: string, status: string, timeoutMs = 30_000): Promise<any> {
    let last: any;
    return waitFor(
      async () => {
        last = (await this.get(id)).body;
        return last?.status === status && last?.pendingAction === null && last;
      },
      {
        timeoutMs,
        intervalMs: 100,
        what: `escrow ${id} to reach ${status} with nothing pending`,
        describe: () => JSON.stringify(last),
      },
    );
  }

  async notifications(
    escrowId: string,
  ): Promise<{ messageId: string; attributes: Record<string, string>; event: any; timestamp: string }[]> {
    const res = await fetch(`${this.url}/_local/notifications?escrowId=${escrowId}`);
    if (res.status !== 200)
      throw new Error(`notifications of ${escrowId}: ${res.status} ${await res.text()}`);
    const items = ((await res.json()) as { items: any[] }).items;
    // Every event a test sees matches its type's published schema.
    await expectValidEvents(
      this.url,
      items.map((i) => i.event),
    );
    return items;
  }

  /** `POST /_local/faults` (API.md, local mode): injects a failure; throws unless it is accepted. */
  async injectFault(spec: {
    target: "stepfunctions" | "sns" | "lambda" | "dynamodb" | "payments";
    operation?: string;
    mode: "error" | "ambiguous";
    probability?: number;
    seconds: number;
  }): Promise<{ id: string; until: string }> {
    const res = await this.call("POST", "/_local/faults", { body: spec, token: null });
    if (res.status !== 201)
      throw new Error(`fault ${JSON.stringify(spec)}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** `DELETE /_local/faults`: ends every injected failure. */
  async clearFaults(): Promise<void> {
    const res = await this.call("DELETE", "/_local/faults", { token: null });
    if (res.status !== 204) throw new Error(`clearing faults: ${res.status}`);
  }

  /** `GET /_local/payments?escrowId=`: the sandbox provider's ledger, oldest first. */
  async payments(
    escrowId?: string,
  ): Promise<{ id: string; escrowId: string; type: string; amount: number; key: string; at: string }[]> {
    const query = escrowId ? `?escrowId=${encodeURIComponent(escrowId)}` : "";
    const res = await this.call("GET", `/_local/payments${query}`, { token: null });
    if (res.status !== 200) throw new Error(`payments: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.items;
  }

  /**
   * `POST /_local/clock` (API.md v1.2): moves the service's clock forward; answers once every deadline
   * and reconciler mark it passed has fired, in order, and the service has settled.
   */
  async advanceClock(seconds: number): Promise<{ now: string; offsetSeconds: number }> {
    const res = await this.call("POST", "/_local/clock", { body: { advanceSeconds: seconds }, token: null });
    if (res.status !== 200) throw new Error(`clock: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** `GET /_local/clock`: the service's time (epoch ms). */
  async now(): Promise<number> {
    const res = await this.call("GET", "/_local/clock", { token: null });
    if (res.status !== 200) throw new Error(`clock: ${res.status} ${JSON.stringify(res.body)}`);
    return Date.parse(res.body.now);
  }

  /** `POST /_local/reconcile`: runs the reconciler once now; the handler's result. */
  async reconcile(): Promise<any> {
    const res = await this.call("POST", "/_local/reconcile", { token: null });
    if (res.status !== 200) throw new Error(`reconcile: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /**
   * Polls until the escrow's published events include `types`, in that order
   * (other events may come between; `""` stands for any one event), and
   * returns all of them; throws, naming what arrived, if they do not in time.
   */
  async waitForEvents(escrowId: string, types: string[], timeoutMs = 15_000): Promise<any[]> {
    let seen: string[] = [];
    return waitFor(
      async () => {
        const items = await this.notifications(escrowId);
        seen = items.map((n) => n.event?.type);
        return includesInOrder(seen, types) && items;
      },
      {
        timeoutMs,
        intervalMs: 100,
        what: `the events [${types.map((t) => t || "(any)").join(", ")}] of escrow ${escrowId}`,
        describe: () => `[${seen.join(", ")}]`,
      },
    );
  }
}

/** Whether `expected` occurs in `seen` in order (not necessarily next to each other); "" matches any type. */
function includesInOrder(seen: string[], expected: string[]): boolean {
  let i = 0;
  for (const type of seen) if (i < expected.length && (expected[i] === "" || expected[i] === type)) i++;
  return i === expected.length;
}
