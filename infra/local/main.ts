import "./polyfills";
import { spawn } from "node:child_process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { TABLE } from "../../functions/adapters/table-schema";
import { createAuthRequestListener, LocalAuth } from "./auth";
import {
  type CfnTableProperties,
  createTableFromTemplate,
  type DynamoBackend,
  localDynamoClient,
  seedClientRegistrations,
  startTtlSweeper,
} from "./dynamo";
import { LocalGateway } from "./gateway";
import { LocalLambdas } from "./lambdas";
import {
  createNotificationsListener,
  createSnsRequestListener,
  isQueryProtocolRequest,
  LocalSns,
} from "./sns";
import { createSfnRequestListener, isSfnRequest, LocalStepFunctions } from "./step-functions";
import { LOCAL_REGION, loadTemplate, readModel } from "./template";

/**
 * `npm start`: the whole escrow service on one machine, built from the
 * synthesized CDK template — the same routes, functions, environment, table,
 * topics and workflow definition that `cdk deploy` creates — with dynalite (or
 * DynamoDB Local), the ASL executed by aws-local-stepfunctions, a local SNS and
 * a local token issuer. Everything is kept under ESCROW_LOCAL_DATA_DIR, so a
 * restart carries on where the last run stopped.
 */

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
// Local mode runs on the developer's Node (20 is supported here); Lambda runs nodejs24.x. The SDK's notice
// about its own future Node 22 requirement is noise on every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
/** A fixed issuer, so tokens stay valid across restarts on other ports. */
export const LOCAL_ISSUER = "http://127.0.0.1/escrow-local";

export interface LocalServiceOptions {
  port?: number;
  dataDir?: string;
  backend?: DynamoBackend;
  subscribers?: string[];
  quiet?: boolean;
  logLevel?: string;
  /** Where synthesized templates are kept (default: under the data folder); tests share one. */
  templateCacheDir?: string;
}

export async function startLocalService(options: LocalServiceOptions = {}) {
  const started = performance.now();
  const dataDir = resolve(options.dataDir ?? ".escrow-local");
  const log = (line: string) => {
    if (!options.quiet) console.log(line);
  };

  const { template, cached } = await loadTemplate(ROOT, dataDir, options.templateCacheDir);
  const model = readModel(template);

  // DynamoDB and the meter that counts what the handlers ask of it, in a process of their own.
  const backend = options.backend ?? "dynalite";
  const indexKeys = Object.values(TABLE.indexes).map((i) => i.partitionKey);
  const store = await startStoreProcess({ backend, dataDir: join(dataDir, backend), indexKeys });
  const admin = localDynamoClient(store.endpoint);
  const table = await createTableFromTemplate(admin, model.table.properties as CfnTableProperties, {
    tableName: model.table.name,
  });
  const sweeper = table.ttlAttribute
    ? startTtlSweeper(admin, {
        tableName: table.tableName,
        attribute: table.ttlAttribute,
        intervalSeconds: 60,
      })
    : undefined;

  const auth = await LocalAuth.create({ dataDir: join(dataDir, "auth"), issuer: LOCAL_ISSUER });
  await seedClientRegistrations(admin, table.tableName, auth.tenantsByClient());

  // The marketplace-facing topic is the one whose messages the workflow's Notify states publish.
  const eventsTopic = eventsTopicOf(model);
  const sns = new LocalSns({
    dataDir: join(dataDir, "sns"),
    topics: model.topics.map((t) => t.arn),
    // Local webhooks get the escrow events, as a marketplace's subscription would.
    subscribers: (options.subscribers ?? []).map((url) => ({ url, topicArn: eventsTopic })),
  });

  // One HTTP server: the API, the token endpoint, the Step Functions and SNS endpoints, local extras.
  // Requests that arrive before the routes are wired wait for them; the API itself waits until
  // the functions are loaded and interrupted executions have resumed.
  let dispatch: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const early: [IncomingMessage, ServerResponse][] = [];
  const server = createServer((req, res) => (dispatch ? dispatch(req, res) : early.push([req, res])));
  let markReady = () => {};
  const ready = { promise: new Promise<void>((resolve) => (markReady = resolve)) };
  await new Promise<void>((ready) => server.listen(options.port ?? 3000, "127.0.0.1", ready));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  // The functions' environment: their own variables from the template plus the local endpoints.
  const environment: Record<string, string> = {};
  for (const fn of model.functions)
    for (const [name, value] of Object.entries(fn.environment)) {
      if (name in environment && environment[name] !== value)
        throw new Error(`functions disagree on ${name}: the local runtime runs them in one process`);
      environment[name] = value;
    }
  Object.assign(process.env, environment, {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_ENDPOINT_URL_DYNAMODB: store.meterEndpoint,
    AWS_ENDPOINT_URL_SFN: url,
    AWS_ENDPOINT_URL_SNS: url,
    POWERTOOLS_LOG_LEVEL: options.logLevel ?? "WARN",
    POWERTOOLS_DEV: "true",
  });

  const lambdas = new LocalLambdas(ROOT, model.functions);
  const taskHandlers = Object.fromEntries(
    model.functions.map((fn) => [fn.arn, (payload: unknown) => lambdas.invoke(fn, payload)]),
  );
  const sfn = new LocalStepFunctions({
    dataDir: join(dataDir, "executions"),
    definition: model.stateMachine.definition,
    stateMachineArn: model.stateMachine.arn,
    taskHandlers,
    snsPublish: (params) => sns.publish(params),
    defaultTaskTimeoutSeconds: Math.max(...model.functions.map((f) => f.timeoutSeconds)),
    onError: (message, error) => console.error(`[local] ${message}`, error),
  });
  const gateway = new LocalGateway(model.routes, model.gatewayResponses, auth, lambdas, model.stageName);

  const authListener = createAuthRequestListener(auth);
  // `/_local/notifications` lists the escrow events (API.md); `?topic=ops` the ops alerts, `?topic=all` both.
  const opsTopic = model.topics.find((t) => t.arn !== eventsTopic)?.arn;
  const notifications = createNotificationsListener(sns, "/_local/notifications", {
    events: eventsTopic,
    ...(opsTopic ? { ops: opsTopic } : {}),
  });
  const sfnListener = createSfnRequestListener(sfn);
  const snsListener = createSnsRequestListener(sns);
  dispatch = (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      try {
        // The engine's own endpoints serve at once (resumed executions use them while starting).
        if (isSfnRequest(req)) return await sfnListener(req, res);
        // SDK clients post SNS Query-protocol calls to the endpoint's root path.
        if ((req.url ?? "/").split("?")[0] === "/" && isQueryProtocolRequest(req))
          return await snsListener(req, res);
        await ready.promise;
        if (await authListener(req, res)) return;
        if (await notifications(req, res)) return;
        if (await localMetrics(req, res)) return;
        await gateway.handle(req, res);
      } catch (error) {
        console.error("[local] request failed", error);
        if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json" });
        res.end('{"message":"Internal server error"}');
      }
    })();
  };
  for (const [req, res] of early.splice(0)) dispatch(req, res);

  /** Local only: what the benchmark measures (function durations, DynamoDB units). */
  async function localMetrics(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = (req.url ?? "").split("?")[0];
    if (path !== "/_local/metrics") return false;
    if (req.method === "DELETE") {
      await fetch(`${store.meterEndpoint}/__meter`, { method: "DELETE" });
      lambdas.resetStats();
      res.writeHead(204).end();
      return true;
    }
    const functions = Object.fromEntries(
      [...lambdas.stats].map(([id, s]) => [
        id,
        {
          invocations: s.invocations,
          errors: s.errors,
          totalMs: s.totalMs,
          initMs: s.initMs,
          durationsMs: s.durationsMs,
        },
      ]),
    );
    const memory = Object.fromEntries(model.functions.map((f) => [f.id, f.memoryMb]));
    const body = JSON.stringify({
      dynamodb: await (await fetch(`${store.meterEndpoint}/__meter`)).json(),
      functions,
      memoryMb: memory,
      stateMachineArn: model.stateMachine.arn,
      // The store itself, without the meter in between (the benchmark's raw put ceiling).
      dynamodbEndpoint: store.endpoint,
    });
    res.writeHead(200, { "Content-Type": "application/json" }).end(body);
    return true;
  }

  await lambdas.warm();
  const resumed = await sfn.resume();
  markReady();
  const ms = Math.round(performance.now() - started);

  log(
    `Escrow local service listening on ${url}  (started in ${ms} ms; template ${cached ? "cached" : "synthesized"}; ${backend}; data in ${dataDir}; ${resumed.length} execution(s) resumed)`,
  );
  if (options.quiet) console.log(`listening on ${url} (${backend})`);
  else printWelcome(url, auth);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      server.close();
      server.closeAllConnections();
      await sfn.close();
      await sns.close();
      sweeper?.stop();
      await store.close();
    })());
  return { url, port, close, sfn, sns, lambdas, startupMs: ms };
}

/** The topic the workflow publishes escrow events to: the TopicArn of its NotifyFunded state. */
function eventsTopicOf(model: ReturnType<typeof readModel>): string {
  const states = (
    model.stateMachine.definition as { States: Record<string, { Parameters?: { TopicArn?: string } }> }
  ).States;
  const arn = states.NotifyFunded?.Parameters?.TopicArn;
  if (!arn || !model.topics.some((t) => t.arn === arn))
    throw new Error("cannot tell the escrow events topic");
  return arn;
}

/** Starts infra/local/dynamo-process.ts and waits for its endpoints. */
async function startStoreProcess(options: { backend: DynamoBackend; dataDir: string; indexKeys: string[] }) {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(ROOT, "infra/local/dynamo-process.ts"), JSON.stringify(options)],
    {
      cwd: ROOT,
      env: process.env,
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const ready = await new Promise<{ endpoint: string; meterEndpoint: string }>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d;
      const line = out.split("\n")[0];
      if (out.includes("\n") && line) {
        try {
          resolve(JSON.parse(line));
        } catch (error) {
          reject(error);
        }
      }
    });
    child.once("exit", (code) => reject(new Error(`the local DynamoDB process exited with ${code}`)));
  });
  let closed: Promise<void> | undefined;
  return {
    ...ready,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.stdin?.end(); // the child stops when its stdin closes
      })),
  };
}

function printWelcome(url: string, auth: LocalAuth) {
  const clients = auth.clients
    .map(
      (c) =>
        `  ${c.clientId.padEnd(20)} ${c.clientSecret.padEnd(26)} tenant ${c.tenantId.padEnd(8)} ${c.scopes.join(" ")}`,
    )
    .join("\n");
  console.log(`
listening on ${url}

OAuth clients (client id, secret, tenant, scopes):
${clients}

Try it:
  TOKEN=$(curl -s -u demo-marketplace:demo-marketplace-secret -d grant_type=client_credentials ${url}/oauth2/token | jq -r .access_token)
  ESCROW=$(curl -s ${url}/v1/escrows -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
    -H "Idempotency-Key: $(date +%s%N)" \\
    -d '{"buyerId":"u-1001","sellerId":"u-2002","amount":12999,"currency":"CNY","fee":390,"paymentMethod":"pm_sandbox_ok"}' | jq -r .id)
  sleep 1   # the workflow takes the hold: PENDING_FUNDS → FUNDED
  curl -s ${url}/v1/escrows/$ESCROW/delivery -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"actorId":"u-2002","carrier":"SF","trackingNumber":"SF123"}'
  curl -s ${url}/v1/escrows/$ESCROW/confirmation -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"actorId":"u-1001"}'
  curl -s ${url}/v1/escrows/$ESCROW -H "Authorization: Bearer $TOKEN"
  curl -s "${url}/_local/notifications?escrowId=$ESCROW"
`);
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const env = process.env;
  const service = await startLocalService({
    port: env.PORT === undefined ? 3000 : Number(env.PORT),
    dataDir: env.ESCROW_LOCAL_DATA_DIR,
    backend: (env.ESCROW_LOCAL_DYNAMODB as DynamoBackend | undefined) ?? "dynalite",
    subscribers: env.ESCROW_LOCAL_SUBSCRIBERS?.split(",").filter(Boolean),
    quiet: env.ESCROW_LOCAL_QUIET === "1",
    logLevel: env.ESCROW_LOCAL_LOG_LEVEL,
    templateCacheDir: env.ESCROW_LOCAL_TEMPLATE_CACHE,
  });
  const stop = (signal: string) => {
    if (!env.ESCROW_LOCAL_QUIET)
      console.log(`\n${signal}: stopping (waits and timers resume on the next start)`);
    void service.close().then(() => process.exit(0));
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}
