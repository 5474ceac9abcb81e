import "./polyfills";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { TABLE } from "../../functions/adapters/table-schema";
import { buildConsole } from "../console-build";
import { createAuthRequestListener, LocalAuth } from "./auth";
import { poolTrigger } from "./auth-trigger";
import { LOCAL_CONSOLE_CLIENT_ID } from "./auth-users";
import { createClockListener } from "./clock/listener";
import { ServiceClock } from "./clock/service-clock";
import {
  type CfnTableProperties,
  createTableFromTemplate,
  type DynamoBackend,
  localDynamoClient,
  seedClientRegistrations,
  startStoreProcess,
  startTtlSweeper,
} from "./dynamo/index";
import { createFaultsListener, FaultService, syncDynamoFaults } from "./faults/index";
import { LocalGateway } from "./gateway";
import { installLocalHooks } from "./hooks";
import { startServiceIam } from "./iam/service-iam";
import { LocalLambdas } from "./lambdas";
import type { LocalListener } from "./local-http";
import { createMetricsListener } from "./metrics";
import { createPaymentsListener, LocalPaymentLedger } from "./payments/index";
import { createReconcileListener, reconcileSeconds, startReconciler } from "./reconciler";
import {
  createDeliveriesListener,
  createNotificationsListener,
  createSnsRequestListener,
  isQueryProtocolRequest,
  isSigningCertRequest,
  isSnsUrlRequest,
  LocalSns,
} from "./sns/index";
import { createSfnRequestListener, isSfnRequest, LocalStepFunctions } from "./step-functions/index";
import { eventsTopicOf, functionById, LOCAL_REGION, loadTemplate, readModel } from "./template";
import { printWelcome } from "./welcome";

/**
 * `npm start`: the whole escrow service on one machine, built from the
 * synthesized CDK template — the same routes, functions, environment, table,
 * topics and workflow definition that `cdk deploy` creates — with dynalite (or
 * DynamoDB Local), the ASL executed by aws-local-stepfunctions, a local SNS and
 * a local token issuer; plus what only local mode has: fault injection, the
 * sandbox provider's ledger and the reconciler on a timer. Everything is kept
 * under ESCROW_LOCAL_DATA_DIR, so a restart carries on where the last run stopped.
 */

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
// Local mode runs on the developer's Node (20 is supported here); Lambda runs nodejs24.x. The SDK's notice
// about its own future Node 22 requirement is noise on every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
/** A fixed issuer, so tokens stay valid across restarts on other ports. */
export const LOCAL_ISSUER = "http://127.0.0.1/escrow-local";
/** The user pool's pre-token-generation trigger (a person's tenant claim). */
export const TENANT_TRIGGER_FUNCTION_ID = "AddTenantClaim";
/** The function the reconciler timer runs, once the stack has it. */
export const RECONCILER_FUNCTION_ID = "Reconciler";

export interface LocalServiceOptions {
  port?: number;
  dataDir?: string;
  backend?: DynamoBackend;
  subscribers?: string[];
  quiet?: boolean;
  logLevel?: string;
  /** Where synthesized templates are kept (default: under the data folder); tests share one. */
  templateCacheDir?: string;
  /** Seconds between reconciler runs (default ESCROW_RECONCILE_SECONDS, else 60). */
  reconcileSeconds?: number;
  /** Multiplies the workflow's retry intervals (default ESCROW_LOCAL_RETRY_SCALE, else 1: as in AWS). */
  retryScale?: number;
}

export async function startLocalService(options: LocalServiceOptions = {}) {
  const started = performance.now();
  const dataDir = resolve(options.dataDir ?? ".escrow-local");
  const log = (line: string) => {
    if (!options.quiet) console.log(line);
  };
  const report = (message: string) => (error: unknown) => console.error(`[local] ${message}`, error);
  const reconcileEvery = options.reconcileSeconds ?? reconcileSeconds(process.env.ESCROW_RECONCILE_SECONDS);

  const { template, cached } = await loadTemplate(ROOT, dataDir, options.templateCacheDir);
  const model = readModel(template);

  // What the local runtime lends the functions, in place before any handler loads. The service's clock
  // (moved by POST /_local/clock, kept on disk) is read by everything about escrows; faults and tokens
  // keep real time.
  const clock = new ServiceClock(join(dataDir, "clock.json"));
  const faults = new FaultService();
  const ledger = new LocalPaymentLedger({ dataDir, now: clock.now, onError: (m, e) => report(m)(e) });
  installLocalHooks({ faults, sandboxLedger: ledger, clock });

  // DynamoDB and the meter that counts (and fails, on demand) what the handlers ask of it, in a process of their own.
  const backend = options.backend ?? "dynalite";
  const indexKeys = Object.values(TABLE.indexes).map((i) => i.partitionKey);
  const store = await startStoreProcess({ backend, dataDir: join(dataDir, backend), indexKeys }, ROOT);
  const dynamoFaults = syncDynamoFaults(faults, store.setFaults, report("could not pass DynamoDB faults on"));
  // The stack's IAM policies, enforced on every call a function makes (infra/local/iam; ESCROW_LOCAL_IAM).
  const iam = await startServiceIam(template, model, store);
  const admin = localDynamoClient(store.endpoint);
  const table = await createTableFromTemplate(admin, model.table.properties as CfnTableProperties, {
    tableName: model.table.name,
  });
  const sweeper = table.ttlAttribute
    ? startTtlSweeper(admin, {
        tableName: table.tableName,
        attribute: table.ttlAttribute,
        intervalSeconds: 60,
        now: clock.now,
      })
    : undefined;

  const auth = await LocalAuth.create({ dataDir: join(dataDir, "auth"), issuer: LOCAL_ISSUER });
  await seedClientRegistrations(admin, table.tableName, auth.tenantsByClient());

  const eventsTopic = eventsTopicOf(model);
  let serviceUrl = "";
  const sns = new LocalSns({
    dataDir: join(dataDir, "sns"),
    topics: model.topics.map((t) => t.arn),
    now: clock.now,
    // Local webhooks get the escrow events, as a marketplace's subscription would.
    subscribers: (options.subscribers ?? []).map((url) => ({ url, topicArn: eventsTopic })),
    // SigningCertURL, SubscribeURL and UnsubscribeURL point at this server (SNS's endpoint locally).
    endpoint: () => serviceUrl,
    faults,
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
  iam.tagCallers([store.meterEndpoint, url]);
  serviceUrl = url;

  // The functions' environment: their own variables from the template plus the local endpoints.
  const environment: Record<string, string> = {};
  for (const fn of model.functions)
    for (const [name, value] of Object.entries(fn.environment)) {
      if (name in environment && environment[name] !== value)
        throw new Error(`functions disagree on ${name}: the local runtime runs them in one process`);
      environment[name] = value;
    }
  // The ops console's page, built from its sources at each start (a fraction of a second).
  const consoleBuild = await buildConsole(join(dataDir, "console"));
  Object.assign(process.env, environment, localOverrides(url, consoleBuild.dir), {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_ENDPOINT_URL_DYNAMODB: store.meterEndpoint,
    AWS_ENDPOINT_URL_SFN: url,
    AWS_ENDPOINT_URL_SNS: url,
    POWERTOOLS_LOG_LEVEL: options.logLevel ?? "WARN",
    POWERTOOLS_DEV: "true",
    // The local period (API.md: local default 60), whatever the deployed default in the template.
    ESCROW_RECONCILE_SECONDS: String(reconcileEvery),
    // The reconciler's period as its code sees it: a mark it could not handle comes due again after it.
    RECONCILE_SECONDS: String(Math.max(1, Math.round(reconcileEvery))),
    // Locally the reconciler is woken when a mark comes due: reminders go out on time, not early.
    REMINDER_EARLY_SECONDS: "0",
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
    snsPublish: iam.stateMachinePublish((params) => sns.publish(params)),
    authorizeInvoke: iam.stateMachineInvoke,
    faults,
    now: clock.now,
    timers: (at, fire) => clock.timerAt(at, fire),
    retryScale: options.retryScale ?? retryScaleOf(process.env.ESCROW_LOCAL_RETRY_SCALE),
    // The workflow's own tasks (the reconciler, with its longer timeout, is no task of it).
    defaultTaskTimeoutSeconds: Math.max(
      ...model.functions
        .filter((f) => Object.values(model.stateMachine.substitutions).includes(f.arn))
        .map((f) => f.timeoutSeconds),
    ),
    onError: (message, error) => console.error(`[local] ${message}`, error),
  });
  const gateway = new LocalGateway(model.routes, model.gatewayResponses, auth, lambdas, model.stageName, {
    mayInvoke: iam.gatewayMayInvoke,
  });
  // People's tokens get their claims from the stack's own trigger, invoked as the pool invokes it.
  const tenantTrigger = model.functions.find((f) => f.id === TENANT_TRIGGER_FUNCTION_ID);
  if (tenantTrigger)
    auth.useTokenClaims(
      poolTrigger(
        template,
        tenantTrigger,
        (fn, event) => lambdas.invoke(fn, event),
        (fnArn, poolArn) => iam.iam.authorizeInvoke("cognito-idp.amazonaws.com", fnArn, poolArn),
      ),
    );
  const reconcilerFn = functionById(model, RECONCILER_FUNCTION_ID);
  /** The soonest reconciler mark after `after` (epoch ms), asked of the reconciler itself. */
  const nextMarkAfter = async (after: string): Promise<number | null> => {
    if (!reconcilerFn) return null;
    const answer = (await lambdas.invoke(reconcilerFn, { nextDueAfter: after })) as {
      nextDue?: string | null;
    };
    return answer?.nextDue ? Date.parse(answer.nextDue) : null;
  };
  const reconciler = startReconciler({
    ...(reconcilerFn
      ? {
          invoke: async (event) => {
            // As EventBridge would: only a rule of the stack with its invoke permission runs it.
            if (!iam.scheduleMayInvoke(reconcilerFn))
              throw new Error(`no schedule of the stack may invoke ${reconcilerFn.id} (local IAM)`);
            return lambdas.invoke(reconcilerFn, event);
          },
        }
      : {}),
    intervalSeconds: reconcileEvery,
    now: clock.now,
    // Reminders go out to the second, whatever the period (ESCROW_LOCAL_WAKE_MS=0: only on the period,
    // as in AWS; the bench measures so).
    wakeMs: Number(process.env.ESCROW_LOCAL_WAKE_MS ?? 1000),
    onError: report("a reconciler run failed"),
  });

  // `/_local/notifications` lists the escrow events (API.md); `?topic=ops` the ops alerts, `?topic=all` both.
  const opsTopic = model.topics.find((t) => t.arn !== eventsTopic)?.arn;
  const localRoutes: LocalListener[] = [
    createAuthRequestListener(auth),
    createNotificationsListener(sns, "/_local/notifications", {
      events: eventsTopic,
      ...(opsTopic ? { ops: opsTopic } : {}),
    }),
    createDeliveriesListener(sns),
    createFaultsListener(faults, { afterChange: dynamoFaults.flush }),
    createPaymentsListener(ledger),
    createReconcileListener(reconciler),
    createClockListener(clock, {
      nextMark: async (after) => nextMarkAfter(new Date(after).toISOString()),
      markDue: async (at) => {
        const soonest = await nextMarkAfter("1970-01-01T00:00:00.000Z");
        return soonest !== null && soonest <= at;
      },
      reconcile: async () => {
        if (reconciler.available) await reconciler.runNow().catch(report("a reconciler run failed"));
      },
      idle: () => lambdas.inFlight === 0 && reconciler.idle && sfn.idle(),
    }),
    createMetricsListener(store, lambdas, model),
    iam.listener,
  ];
  const sfnListener = createSfnRequestListener(sfn, { faults, authorize: iam.sfnAuthorize });
  const snsListener = createSnsRequestListener(sns, { authorize: iam.snsAuthorize });
  dispatch = (req: IncomingMessage, res: ServerResponse) => {
    // Answers are dated by the service's clock, so a client (the ops console) sees the service's now.
    res.setHeader("Date", new Date(clock.now()).toUTCString());
    void (async () => {
      try {
        // The engine's own endpoints serve at once (resumed executions use them while starting).
        if (isSfnRequest(req)) return await sfnListener(req, res);
        // SDK clients post SNS Query-protocol calls to the endpoint's root path; subscribers GET its
        // SubscribeURL and UnsubscribeURL there, and the signing certificate beside it.
        if (
          ((req.url ?? "/").split("?")[0] === "/" && isQueryProtocolRequest(req)) ||
          isSnsUrlRequest(req) ||
          isSigningCertRequest(req)
        )
          return await snsListener(req, res);
        await ready.promise;
        for (const route of localRoutes) if (await route(req, res)) return;
        await gateway.handle(req, res);
      } catch (error) {
        console.error("[local] request failed", error);
        if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json" });
        res.end('{"message":"Internal server error"}');
      }
    })();
  };
  for (const [req, res] of early.splice(0)) dispatch(req, res);

  await lambdas.warm();
  const resumed = await sfn.resume();
  markReady();
  const ms = Math.round(performance.now() - started);

  log(
    `Escrow local service listening on ${url}  (started in ${ms} ms; template ${cached ? "cached" : "synthesized"}; ${backend}; IAM ${iam.mode}; data in ${dataDir}; ${resumed.length} execution(s) resumed; reconciler ${reconciler.available ? `every ${reconcileEvery} s` : "not in the stack yet"})`,
  );
  if (options.quiet) console.log(`listening on ${url} (${backend})`);
  else printWelcome(url, auth);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      server.close();
      server.closeAllConnections();
      clock.close();
      await reconciler.stop();
      await sfn.close();
      await sns.close();
      await sweeper?.stop();
      dynamoFaults.stop();
      await ledger.close();
      await store.close();
    })());
  return { url, port, close, sfn, sns, lambdas, faults, ledger, reconciler, clock, startupMs: ms };
}

/** `ESCROW_LOCAL_RETRY_SCALE`: a number in (0, 1] that shortens the workflow's retry back-off (tests); 1 when unset. */
export function retryScaleOf(value: string | undefined): number {
  if (value === undefined || value === "") return 1;
  const scale = Number(value);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 1)
    throw new Error(`ESCROW_LOCAL_RETRY_SCALE must be a number above 0 and at most 1, got ${value}`);
  return scale;
}

/**
 * The settings that name things only AWS has (the API's URL, the console's app client and sign-in
 * domain, the Step Functions console), as the local service has them: the console on this origin,
 * signing in with the local issuer, and its own execution view standing in for the AWS console.
 */
function localOverrides(url: string, consoleDir: string): Record<string, string> {
  return {
    OPS_CONSOLE_URL: `${url}/ops/`,
    EXECUTION_CONSOLE_URL: `${url}/ops/executions/{executionArn}`,
    OPS_CONSOLE_CLIENT_ID: LOCAL_CONSOLE_CLIENT_ID,
    OPS_AUTH_URL: url,
    OPS_CONSOLE_ASSETS: consoleDir,
  };
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const env = process.env;
  // Every function runs in this one process. In AWS a promise a handler leaves rejected ends that
  // invocation's environment, not the service: locally it is reported, and the service goes on.
  process.on("unhandledRejection", (reason) =>
    console.error("[local] a promise was rejected with no handler (in AWS: one invocation fails)", reason),
  );
  const service = await startLocalService({
    port: env.PORT === undefined ? 3000 : Number(env.PORT),
    dataDir: env.ESCROW_LOCAL_DATA_DIR,
    backend: (env.ESCROW_LOCAL_DYNAMODB as DynamoBackend | undefined) ?? "dynalite",
    subscribers: env.ESCROW_LOCAL_SUBSCRIBERS?.split(",").filter(Boolean),
    quiet: env.ESCROW_LOCAL_QUIET === "1",
    logLevel: env.ESCROW_LOCAL_LOG_LEVEL,
    templateCacheDir: env.ESCROW_LOCAL_TEMPLATE_CACHE,
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    if (!env.ESCROW_LOCAL_QUIET)
      console.log(`\n${signal}: stopping (waits and timers resume on the next start)`);
    void service.close().then(() => process.exit(0));
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
  // `kill <pid of npm start>`: npm passes SIGTERM to the shell that runs this, which dies without passing
  // it on. The service then stops as if signalled once the process that started it is gone.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop("the process that started the service ended");
  }, 250).unref();
}
