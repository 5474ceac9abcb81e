import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ListSubscriptionsByTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { afterAll, describe, expect, it } from "vitest";
import { createEscrowClient, eventOf, verifySnsMessage } from "../../client/src/index";
import { waitFor } from "../support/wait";
import { order, SELLER } from "./client";
import { useLocalService } from "./server";

/**
 * Webhooks on a developer's machine, against one local service:
 *
 * - the client README's integration, run as a marketplace would run it: the
 *   code block in client/README.md is client/examples/integration.ts to the
 *   character, and `npm run example` (which builds the package and runs that
 *   file against it) carries an escrow from creation through a verified
 *   escrow.funded to a verified escrow.released;
 * - `npm run listen -- --forward-to <url> --events <types>` as a developer
 *   runs it beside `npm start`: it subscribes, confirms, forwards each event as
 *   SNS posted it (the signature verifies at the endpoint) and prints the
 *   delivery with the endpoint's answer; an endpoint that fails is retried as
 *   SNS retries; Ctrl-C ends its subscription.
 */
const api = useLocalService();
const ROOT = new URL("../../", import.meta.url).pathname;
const EVENTS = "arn:aws:sns:us-east-1:000000000000:escrow-events";

let listener: ChildProcess | undefined;
let hook: Server | undefined;
afterAll(async () => {
  if (listener?.pid && listener.exitCode === null && listener.signalCode === null)
    process.kill(-listener.pid, "SIGKILL");
  hook?.closeAllConnections();
  await new Promise((resolve) => hook?.close(resolve) ?? resolve(undefined));
});

describe("the example integration", () => {
  it("shows in the client's README exactly the example that runs", () => {
    const readme = readFileSync(`${ROOT}client/README.md`, "utf8");
    const block = readme.match(
      /<!-- example: client\/examples\/integration\.ts -->\n```ts\n([\s\S]*?)```/,
    )?.[1];
    expect(block).toBe(readFileSync(`${ROOT}client/examples/integration.ts`, "utf8"));
  });

  it("creates an escrow, receives and verifies escrow.funded, confirms, and receives escrow.released", async () => {
    const run = spawn("npm", ["run", "example"], {
      cwd: ROOT,
      env: { ...process.env, ESCROW_URL: api.url },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    run.stdout.on("data", (d) => (output += d));
    run.stderr.on("data", (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => run.on("exit", resolve));
    expect(code, output).toBe(0);
    const id = output.match(/escrow\.funded: 12999 CNY held for (esc_\w+)/)?.[1];
    expect(id, output).toBeDefined();
    expect(output).toContain("escrow.released: 12609 CNY paid to the seller");
    expect(output).not.toContain("refused a message");
    // What the webhook verified is what the service published, and the escrow is released.
    expect((await api.get(id as string)).body).toMatchObject({
      status: "RELEASED",
      settlement: { paidToSeller: 12609 },
    });
    const delivered = (await (await fetch(`${api.url}/_local/deliveries?escrowId=${id}`)).json()) as {
      items: { eventType: string; status: number }[];
    };
    expect(delivered.items.map((d) => [d.eventType, d.status])).toEqual([
      ["escrow.funded", 200],
      ["escrow.released", 200],
    ]);
  }, 120_000);
});

describe("npm run listen", () => {
  it("forwards verified escrow events to a local endpoint and prints each delivery with its answer", async () => {
    const received: { headers: IncomingHttpHeaders; body: string }[] = [];
    let answer = 200;
    hook = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
        res.writeHead(answer).end();
      });
    });
    await new Promise<void>((resolve) => hook?.listen(0, "127.0.0.1", resolve));
    const forwardTo = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/webhooks`;

    let output = "";
    listener = spawn(
      "npm",
      ["run", "listen", "--", "--forward-to", forwardTo, "--events", "escrow.funded,escrow.delivered"],
      {
        cwd: ROOT,
        detached: true, // its own process group: Ctrl-C reaches npm and what it runs, as in a terminal
        env: { ...process.env, PORT: new URL(api.url).port },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    listener.stdout?.on("data", (d) => (output += d));
    listener.stderr?.on("data", (d) => (output += d));
    await waitFor(() => output.includes("Ready."), {
      timeoutMs: 60_000,
      what: "listen to be ready",
      describe: () => output,
    });

    const escrows = createEscrowClient({
      baseUrl: api.url,
      credentials: { clientId: "demo-marketplace", clientSecret: "demo-marketplace-secret" },
    });
    const created = await escrows.POST("/v1/escrows", {
      params: { header: { "Idempotency-Key": crypto.randomUUID() } },
      body: order() as never,
    });
    const id = created.data?.id as string;
    await waitFor(() => received.length === 1, {
      what: "escrow.funded at the endpoint",
      describe: () => output,
    });
    const verify = { topicArns: [EVENTS], certificateHosts: [new URL(api.url).host] };
    const funded = eventOf(await verifySnsMessage(received[0]?.body ?? "", verify));
    expect([funded.type, funded.escrowId]).toEqual(["escrow.funded", id]);
    expect(received[0]?.headers["x-amz-sns-message-type"]).toBe("Notification");
    await waitFor(() => output.includes(`--> escrow.funded [${funded.id}] ${id}  <-- 200 OK`), {
      what: "listen to print the delivery",
      describe: () => output,
    });

    // An endpoint that fails: listen prints its answer and SNS will try again (20 s later, as in AWS).
    answer = 500;
    await escrows.POST("/v1/escrows/{id}/delivery", { params: { path: { id } }, body: { actorId: SELLER } });
    await waitFor(() => output.includes("escrow.delivered") && output.includes("<-- 500"), {
      what: "listen to print the failed delivery",
      describe: () => output,
    });
    // listen prints the answer as it sends it; SNS records the attempt once the answer reaches it.
    let attempts: { items: { eventType: string; status: number; outcome: string }[] } = { items: [] };
    await waitFor(
      async () => {
        attempts = (await (
          await fetch(`${api.url}/_local/deliveries?escrowId=${id}`)
        ).json()) as typeof attempts;
        return attempts.items.length >= 2;
      },
      {
        what: "the local SNS to record both delivery attempts",
        intervalMs: 50,
        describe: () => JSON.stringify(attempts),
      },
    );
    expect(attempts.items.map((a) => [a.eventType, a.status, a.outcome])).toEqual([
      ["escrow.funded", 200, "delivered"],
      ["escrow.delivered", 500, "retrying"],
    ]);

    // Ctrl-C: the subscription ends with it.
    process.kill(-(listener.pid as number), "SIGINT");
    await waitFor(() => listener?.exitCode !== null || listener?.signalCode !== null, {
      what: "listen to stop",
      describe: () => output,
    });
    const sns = new SNSClient({
      endpoint: api.url,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    expect((await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: EVENTS }))).Subscriptions).toEqual(
      [],
    );
  });
});
