import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DescribeExecutionCommand, SFNClient } from "@aws-sdk/client-sfn";
import { ListTopicsCommand, SNSClient, SubscribeCommand, UnsubscribeCommand } from "@aws-sdk/client-sns";
import { afterAll, describe, expect, it } from "vitest";
import { confirmSubscription, createEscrowClient, eventOf, verifySnsMessage } from "../../client/src/index";
import { buildOpenApi } from "../../infra/openapi";
import { rentalDeposit } from "../support/orders";
import { waitFor } from "../support/wait";
import { BUYER, order, SELLER } from "./client";
import { invalidEvents } from "./event-validation";
import { expectProblem } from "./expect";
import { useLocalService } from "./server";

/**
 * What an integrating engineer meets (API.md v1.2, "For integrators"): the
 * served documents, the answers to a wrong token, a wrong method and a wrong
 * query, and local SNS subscriptions made with the AWS SDK and the AWS CLI
 * whose deliveries verify with the client's verifySnsMessage.
 */
const api = useLocalService();
const escrows = () =>
  createEscrowClient({
    baseUrl: api.url,
    credentials: { clientId: "demo-marketplace", clientSecret: "demo-marketplace-secret" },
  });
const EVENTS = "arn:aws:sns:us-east-1:000000000000:escrow-events";
const OPS = "arn:aws:sns:us-east-1:000000000000:escrow-ops-alerts";

const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

/** A marketplace's webhook: records each POST's body and answers 200. */
async function webhook() {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      bodies.push(Buffer.concat(chunks).toString("utf8"));
      res.writeHead(200).end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`, bodies };
}

const verifyOptions = () => ({ topicArns: [EVENTS], certificateHosts: [new URL(api.url).host] });

describe("served documents", () => {
  it("serves the OpenAPI document without a token, with this server first", async () => {
    const res = await api.call("GET", "/v1/openapi.json", { token: null });
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe("3.1.0");
    expect(res.body.servers[0].url).toBe(api.url);
    const generated = await buildOpenApi();
    expect(res.body.paths).toEqual(JSON.parse(JSON.stringify(generated.paths)));
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(["/v1/openapi.json", "/v1/events/schemas"]),
    );
  });

  it("serves a JSON Schema per event type without a token; the suite's own check refuses an event that breaks one", async () => {
    const res = await api.call("GET", "/v1/events/schemas", { token: null });
    expect(res.status).toBe(200);
    const types = res.body.items.map((i: { type: string }) => i.type);
    expect(types).toEqual(expect.arrayContaining(["escrow.funded", "escrow.released", "escrow.needs_ops"]));
    const funded = res.body.items.find((i: { type: string }) => i.type === "escrow.funded").schema;
    const [example] = funded.examples;
    expect(await invalidEvents(api.url, [example])).toEqual([]);
    const { tenantId: _, ...withoutTenant } = example;
    expect(await invalidEvents(api.url, [withoutTenant])).toHaveLength(1);
    expect(await invalidEvents(api.url, [{ ...example, type: "escrow.unheard_of" }])).toHaveLength(1);
  });
});

describe("rough edges", () => {
  const challenge = async (authorization: string | null) => {
    const res = await api.call("GET", "/v1/escrows", {
      token: null,
      headers: authorization === null ? {} : { Authorization: authorization },
    });
    expectProblem(res, 401, "unauthorized");
    return { header: res.headers.get("www-authenticate"), detail: res.body.detail as string };
  };
  const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

  it("answers 401 with a Bearer challenge that says why: none, malformed, expired, invalid", async () => {
    expect((await challenge(null)).header).toBe('Bearer realm="escrow"');
    expect((await challenge("Basic ZGVtbzpkZW1v")).header).toBe('Bearer realm="escrow"');
    const malformed = await challenge("Bearer not-a-jwt");
    expect(malformed.header).toMatch(
      /^Bearer realm="escrow", error="invalid_token", error_description="[^"]*malformed/,
    );
    expect(malformed.detail).toMatch(/malformed/);
    const good = await api.token();
    const [header, payload, signature] = good.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    const expired = await challenge(
      `Bearer ${header}.${b64url({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 })}.${signature}`,
    );
    expect(expired.header).toMatch(/error="invalid_token", error_description="[^"]*expired/);
    expect(expired.detail).toMatch(/expired/);
    const forged = await challenge(
      `Bearer ${header}.${b64url({ ...claims, client_id: "other-marketplace" })}.${signature}`,
    );
    expect(forged.header).toMatch(/error="invalid_token", error_description="[^"]*not valid/);
  });

  it("names an unknown query parameter, in the API's own words", async () => {
    const res = await api.call("GET", "/v1/escrows?colour=red");
    expectProblem(res, 400, "validation_error");
    expect(res.body.errors).toEqual([{ path: "colour", message: "is not a known query parameter" }]);
    const limit = await api.call("GET", "/v1/escrows?limit=500");
    expect(limit.body.errors).toEqual([{ path: "limit", message: "must be at most 100" }]);
  });

  it("lists one error per problem, never the validation library's wording", async () => {
    const huge = await api.create(order({ amount: 1e20 }));
    expectProblem(huge, 400, "validation_error");
    expect(huge.body.errors).toEqual([{ path: "amount", message: "must be at most 9007199254740991" }]);
    const bodies = [
      order({ buyerId: undefined }),
      order({ buyerId: 7 }),
      order({ description: "x".repeat(1001) }),
      order({ kind: "boat" }),
      order({ windows: { deliverySeconds: 0 } }),
      order({ metadata: { a: 1 } }),
      order({ colour: "red" }),
      [],
    ];
    const messages: string[] = [];
    for (const body of bodies) {
      const res = await api.call("POST", "/v1/escrows", {
        body,
        headers: { "Idempotency-Key": crypto.randomUUID() },
      });
      expectProblem(res, 400, "validation_error");
      expect(new Set(res.body.errors.map((e: { path: string }) => e.path)).size).toBe(res.body.errors.length);
      messages.push(...res.body.errors.map((e: { message: string }) => e.message));
    }
    expect(messages).toContain("is required");
    expect(messages).toContain("must be at most 1000 characters");
    expect(messages).toContain("must be one of goods, service, rental_deposit, vehicle");
    for (const m of messages) expect(m).not.toMatch(/Invalid input|expected \w+, received|Too (big|small)/);
  });

  it("answers 405 method_not_allowed with Allow for a method a known path does not serve; 404 for an unknown path", async () => {
    const escrow = await escrows().POST("/v1/escrows", {
      params: { header: { "Idempotency-Key": crypto.randomUUID() } },
      body: order() as never,
    });
    const id = escrow.data?.id as string;
    const funded = await api.waitFor(id, "FUNDED");
    for (const [method, path, allow] of [
      ["PUT", `/v1/escrows/${id}`, "GET"],
      ["DELETE", "/v1/escrows", "GET, POST"],
      ["PATCH", "/v1/health", "GET"],
      ["GET", `/v1/escrows/${id}/confirmation`, "POST"],
      ["POST", "/v1/openapi.json", "GET"],
    ] as const) {
      const res = await api.call(method, path, { body: method === "GET" ? undefined : { actorId: BUYER } });
      expectProblem(res, 405, "method_not_allowed");
      expect(res.headers.get("allow"), `${method} ${path}`).toBe(allow);
    }
    expectProblem(await api.call("GET", "/v1/nothing-here"), 404, "not_found");
    // The refused method changed nothing.
    expect((await api.get(id)).body).toMatchObject({ status: "FUNDED", version: funded.version });
  });
});

describe("the console's execution names", () => {
  it("continues a parked rental in <id>-p<version>, which the ops view names, as the README says", async () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const ops = readme.slice(
      readme.indexOf("### What ops do when an escrow needs them"),
      readme.indexOf("## Local mode"),
    );
    expect(ops).toContain(
      "continues in `<id>-p<version>` (a parked rental's live execution is\n`<id>-p2`, not `<id>`)",
    );

    const created = await api.create(rentalDeposit({ buyerId: "u-renter-20", sellerId: "u-landlord-20" }));
    const id = created.body.id as string;
    await api.waitFor(id, "FUNDED"); // parked in its record until the lease ends: no execution is open
    const parked = await api.call("GET", `/v1/ops/escrows/${id}`, { as: "ops" });
    const sfn = new SFNClient({
      endpoint: api.url,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const first = parked.body.ops.execution?.arn ?? parked.body.ops.executionArn;
    expect(first).toMatch(new RegExp(`:${id}$`));
    // The first execution ends once it has parked the wait in the record.
    await waitFor(
      async () =>
        (await sfn.send(new DescribeExecutionCommand({ executionArn: first }))).status === "SUCCEEDED",
      { what: "the first execution to end, parked" },
    );

    await api.act(id, "move-out", { actorId: "u-renter-20" });
    await api.waitFor(id, "MOVED_OUT");
    const moved = await api.call("GET", `/v1/ops/escrows/${id}`, { as: "ops" });
    const live = moved.body.ops.execution?.arn ?? moved.body.ops.executionArn;
    expect(live).toMatch(new RegExp(`:${id}-p2$`));
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: live }))).status).toBe("RUNNING");
  });
});

describe("SNS locally as in AWS", () => {
  const sns = () =>
    new SNSClient({
      endpoint: api.url,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });

  it("subscribes a webhook with the AWS SDK: it sees only its tenant's events, signed, and each attempt is listed", async () => {
    const hook = await webhook();
    const client = sns();
    const topics = await client.send(new ListTopicsCommand({}));
    expect(topics.Topics?.map((t) => t.TopicArn).sort()).toEqual([EVENTS, OPS]);
    await client.send(
      new SubscribeCommand({
        TopicArn: EVENTS,
        Protocol: "http",
        Endpoint: hook.url,
        Attributes: { FilterPolicy: JSON.stringify({ tenantId: ["other"] }) },
      }),
    );
    await waitFor(() => hook.bodies.length === 1, { what: "the SubscriptionConfirmation" });
    const arn = await confirmSubscription(hook.bodies[0] ?? "", verifyOptions());

    // One escrow of the demo marketplace, one of the other: the webhook hears only the other's.
    const demo = await api.create(order());
    const other = await api.create(order(), `k-${crypto.randomUUID()}`, "other");
    await api.waitForEvents(demo.body.id, ["escrow.funded"]);
    await waitFor(() => hook.bodies.length > 1, { what: "the other marketplace's escrow.funded" });
    const messages = await Promise.all(hook.bodies.slice(1).map((b) => verifySnsMessage(b, verifyOptions())));
    const events = messages.map((m) => eventOf(m));
    expect(events.map((e) => [e.type, e.escrowId, e.tenantId])).toEqual([
      ["escrow.funded", other.body.id, "other"],
    ]);

    const deliveries = (await (
      await fetch(`${api.url}/_local/deliveries?escrowId=${other.body.id}`)
    ).json()) as {
      items: { at: string }[];
    };
    expect(deliveries.items).toEqual([
      expect.objectContaining({
        endpoint: hook.url,
        status: 200,
        attempt: 1,
        outcome: "delivered",
        subscriptionArn: arn,
      }),
    ]);
    expect(Date.parse(deliveries.items[0]?.at ?? "")).not.toBeNaN();
    const none = (await (await fetch(`${api.url}/_local/deliveries?escrowId=${demo.body.id}`)).json()) as {
      items: unknown[];
    };
    expect(none.items).toEqual([]);
    await client.send(new UnsubscribeCommand({ SubscriptionArn: arn }));
  });

  it("delivers what verifies by the subscriber's own clock after the service's clock moved ten days", async () => {
    const hook = await webhook();
    const client = sns();
    await client.send(
      new SubscribeCommand({
        TopicArn: EVENTS,
        Protocol: "http",
        Endpoint: hook.url,
        Attributes: { FilterPolicy: JSON.stringify({ tenantId: ["demo"], type: ["escrow.released"] }) },
      }),
    );
    await waitFor(() => hook.bodies.length === 1, { what: "the SubscriptionConfirmation" });
    const arn = await confirmSubscription(hook.bodies[0] ?? "", verifyOptions());
    const created = await api.create(order());
    await api.waitFor(created.body.id, "FUNDED");
    await api.act(created.body.id, "delivery", { actorId: SELLER });
    await api.waitFor(created.body.id, "DELIVERED");
    await api.advanceClock(10 * 86_400); // the inspection window ends: released by itself
    await waitFor(() => hook.bodies.length === 2, { what: "escrow.released after the clock moved" });
    const message = await verifySnsMessage(hook.bodies[1] ?? "", verifyOptions()); // the real clock
    const released = eventOf(message);
    expect([released.type, released.escrowId]).toEqual(["escrow.released", created.body.id]);
    // The event is dated by the service's clock, the envelope by real time (the signature's age check).
    expect(Date.parse(released.occurredAt) - Date.parse(message.Timestamp)).toBeGreaterThan(9 * 86_400_000);
    await client.send(new UnsubscribeCommand({ SubscriptionArn: arn }));
  });

  const awsCli = spawnSync("aws", ["--version"], { encoding: "utf8" });
  it.runIf(awsCli.status === 0)(
    "works with the AWS CLI: list-topics, subscribe with a filter policy, list, unsubscribe",
    async () => {
      const hook = await webhook();
      const aws = (...args: string[]) => {
        const run = spawnSync(
          "aws",
          [...args, "--endpoint-url", api.url, "--region", "us-east-1", "--output", "json"],
          {
            encoding: "utf8",
            env: {
              ...process.env,
              AWS_ACCESS_KEY_ID: "local",
              AWS_SECRET_ACCESS_KEY: "local",
              AWS_PAGER: "",
            },
          },
        );
        expect(run.status, run.stderr).toBe(0);
        return JSON.parse(run.stdout || "{}");
      };
      expect(aws("sns", "list-topics").Topics.map((t: { TopicArn: string }) => t.TopicArn)).toContain(EVENTS);
      const filter = JSON.stringify({ tenantId: ["demo"], type: ["escrow.funded"] });
      const subscribed = aws(
        "sns",
        "subscribe",
        "--topic-arn",
        EVENTS,
        "--protocol",
        "http",
        "--notification-endpoint",
        hook.url,
        "--attributes",
        JSON.stringify({ FilterPolicy: filter }),
        "--return-subscription-arn",
      );
      expect(subscribed.SubscriptionArn).toMatch(/^arn:aws:sns:us-east-1:000000000000:escrow-events:/);
      await waitFor(() => hook.bodies.length === 1, { what: "the SubscriptionConfirmation" });
      const confirmation = JSON.parse(hook.bodies[0] ?? "{}");
      const confirmed = aws(
        "sns",
        "confirm-subscription",
        "--topic-arn",
        EVENTS,
        "--token",
        confirmation.Token,
      );
      expect(confirmed.SubscriptionArn).toBe(subscribed.SubscriptionArn);
      const listed = aws("sns", "list-subscriptions-by-topic", "--topic-arn", EVENTS).Subscriptions;
      expect(listed).toContainEqual(
        expect.objectContaining({
          SubscriptionArn: subscribed.SubscriptionArn,
          Endpoint: hook.url,
          Protocol: "http",
        }),
      );
      const escrow = await api.create(order());
      await waitFor(() => hook.bodies.length === 2, { what: "escrow.funded at the CLI's subscription" });
      const event = eventOf(await verifySnsMessage(hook.bodies[1] ?? "", verifyOptions()));
      expect([event.type, event.escrowId]).toEqual(["escrow.funded", escrow.body.id]);
      aws("sns", "unsubscribe", "--subscription-arn", subscribed.SubscriptionArn);
      expect(
        aws("sns", "list-subscriptions-by-topic", "--topic-arn", EVENTS).Subscriptions.map(
          (s: { SubscriptionArn: string }) => s.SubscriptionArn,
        ),
      ).not.toContain(subscribed.SubscriptionArn);
    },
  );
});
