import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ListTopicsCommand, SNSClient, SubscribeCommand, UnsubscribeCommand } from "@aws-sdk/client-sns";
import { confirmSubscription, type SnsMessage, verifySnsMessage } from "../../client/src/index";
import { readBody } from "./http-body";

/**
 * `npm run listen -- --forward-to <url> [--events <type,…>]`: what `stripe
 * listen` is to Stripe. It subscribes a receiver of its own to the local
 * service's escrow events through the SNS API (a filter policy on `type` when
 * `--events` is given, on `tenantId` with `--tenant`), confirms the
 * subscription, verifies each notification's signature and forwards it as SNS
 * posted it (body and `x-amz-sns-*` headers: the signature still verifies at
 * the other end), printing each delivery and the answer. SNS gets the
 * endpoint's answer back, so a failing endpoint is retried as SNS retries.
 * Ctrl-C ends the subscription.
 */

// Run on the developer's Node (20 is supported here): the SDK's notice about its own future Node 22
// requirement is noise in the output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const USAGE =
  "usage: npm run listen -- --forward-to <url> [--events <type,…>] [--tenant <id>] [--url <service url>]";

export interface ListenOptions {
  forwardTo: string;
  events?: string[];
  tenant?: string;
  /** The local service (default http://127.0.0.1:$PORT, PORT defaulting to 3000). */
  url: string;
  print?: (line: string) => void;
}

export interface Listener {
  subscriptionArn: string;
  receiverUrl: string;
  close(): Promise<void>;
}

const forwardedHeaders = (req: IncomingMessage) =>
  Object.fromEntries(
    Object.entries(req.headers).filter(
      (entry): entry is [string, string] =>
        typeof entry[1] === "string" && (entry[0].startsWith("x-amz-sns-") || entry[0] === "content-type"),
    ),
  );

export async function listen(options: ListenOptions): Promise<Listener> {
  const print = options.print ?? ((line: string) => console.log(line));
  const sns = new SNSClient({
    endpoint: options.url,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const { Topics = [] } = await sns.send(new ListTopicsCommand({}));
  const topicArn = Topics.map((t) => t.TopicArn ?? "").find((arn) => arn.endsWith(":escrow-events"));
  if (!topicArn) throw new Error(`no escrow-events topic at ${options.url}: is \`npm start\` running there?`);
  const verify = { topicArns: [topicArn], certificateHosts: [new URL(options.url).host] };

  let confirmed: (arn: string) => void = () => {};
  let failed: (error: unknown) => void = () => {};
  const ready = new Promise<string>((resolve, reject) => {
    confirmed = resolve;
    failed = reject;
  });

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = (await readBody(req, 1024 * 1024, () => new Error("too large"))).toString("utf8");
      let message: SnsMessage;
      try {
        message = await verifySnsMessage(body, verify);
      } catch (error) {
        print(`refused a message that does not verify: ${(error as Error).message}`);
        res.writeHead(400).end();
        return;
      }
      if (message.Type === "SubscriptionConfirmation") {
        res.writeHead(200).end();
        confirmSubscription(body, verify).then(confirmed, failed);
        return;
      }
      if (message.Type !== "Notification") {
        res.writeHead(200).end();
        return;
      }
      const event = JSON.parse(message.Message) as { id?: string; type?: string; escrowId?: string };
      const started = performance.now();
      let status: number;
      let answer: string;
      try {
        const forwarded = await fetch(options.forwardTo, {
          method: "POST",
          headers: forwardedHeaders(req),
          body,
        });
        await forwarded.arrayBuffer();
        status = forwarded.status;
        answer = `${status} ${forwarded.statusText}`.trim();
      } catch (error) {
        // The endpoint did not answer: SNS is told to try again later.
        status = 502;
        answer = `no answer (${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message})`;
      }
      const ms = Math.round(performance.now() - started);
      print(
        `${new Date().toISOString()}  --> ${event.type} [${event.id}] ${event.escrowId}  <-- ${answer} (${ms} ms)`,
      );
      res.writeHead(status).end();
    })().catch((error: unknown) => {
      print(`could not handle a delivery: ${(error as Error).message}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sns`;

  const policy: Record<string, string[]> = {};
  if (options.events?.length) policy.type = options.events;
  if (options.tenant) policy.tenantId = [options.tenant];
  await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: "http",
      Endpoint: receiverUrl,
      ...(Object.keys(policy).length ? { Attributes: { FilterPolicy: JSON.stringify(policy) } } : {}),
    }),
  );
  const subscriptionArn = await ready;
  print(
    `Ready. Forwarding ${options.events?.join(", ") ?? "every escrow event"}${options.tenant ? ` of tenant ${options.tenant}` : ""} to ${options.forwardTo} (subscription ${subscriptionArn}). Ctrl-C to stop.`,
  );

  return {
    subscriptionArn,
    receiverUrl,
    async close() {
      await sns.send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn })).catch(() => {});
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      sns.destroy();
    },
  };
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const { values } = parseArgs({
    options: {
      "forward-to": { type: "string" },
      events: { type: "string" },
      tenant: { type: "string" },
      url: { type: "string" },
    },
  });
  const forwardTo = values["forward-to"];
  if (!forwardTo) {
    console.error(USAGE);
    process.exit(2);
  }
  const listener = await listen({
    forwardTo,
    ...(values.events
      ? {
          events: values.events
            .split(",")
            .map((t) => t.trim())
            .filter(Boolean),
        }
      : {}),
    ...(values.tenant ? { tenant: values.tenant } : {}),
    url: values.url ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`,
  });
  const stop = () => void listener.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
