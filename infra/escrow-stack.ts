import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { App, type AppProps, Aws, CfnOutput, Duration, Lazy, Stack, type StackProps } from "aws-cdk-lib";
import { Rule, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import type { Construct } from "constructs";
import { HOME_CELL } from "../functions/domain/cells";
import { PARK_AFTER_SECONDS } from "../functions/domain/workflow-step";
import { ApiFirewall } from "./constructs/api-firewall";
import { EscrowAlarms } from "./constructs/escrow-alarms";
import { EscrowApi } from "./constructs/escrow-api";
import { EscrowTable } from "./constructs/escrow-table";
import { EscrowWorkflow } from "./constructs/escrow-workflow";
import { LogsKey } from "./constructs/logs-key";
import { OpsConsole } from "./constructs/ops-console";
import { OUTPUT } from "./constructs/outputs";
import { SecureTopic } from "./constructs/secure-topic";
import { ServiceFunction } from "./constructs/service-function";
import { settingsFromContext } from "./constructs/settings";
import { acknowledgeEscrowFindings, registerNagPacks } from "./nag";
import { type EnvName, FUNCTIONS, type FunctionSpec } from "./service-functions";

/** The repository root: entries in FUNCTIONS and the ASL path are relative to it. */
export const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
export const DEFINITION_FILE = "statemachines/escrow.asl.json";

/**
 * The escrow service, one stack per cell (ARCHITECTURE.md, decision 8). It is
 * environment-agnostic: nothing is looked up at synth time, so it synthesizes
 * offline and deploys to whichever account and Region the credentials name.
 */
export class EscrowStack extends Stack {
  readonly logsKey: LogsKey;
  readonly data: EscrowTable;
  readonly events: SecureTopic;
  readonly opsAlerts: SecureTopic;
  readonly functions: ReadonlyArray<{ spec: FunctionSpec; construct: ServiceFunction }>;
  readonly workflow: EscrowWorkflow;
  readonly api: EscrowApi;
  readonly firewall: ApiFirewall;
  readonly alarms: EscrowAlarms;
  readonly opsConsole: OpsConsole;
  readonly reconcileSchedule?: Rule;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    // The name prefixes the state machine (80 characters at most) and, by default, the Cognito domain.
    if (!/^[A-Za-z][A-Za-z0-9-]{0,49}$/.test(this.stackName))
      throw new Error(`Stack name ${this.stackName}: a letter, then letters, digits or hyphens, 50 at most`);
    const settings = settingsFromContext(this.node);
    const domainPrefix = settings.cognitoDomainPrefix ?? `${this.stackName.toLowerCase()}-${this.account}`;
    if (/aws|amazon|cognito/.test(this.stackName.toLowerCase()) && !settings.cognitoDomainPrefix)
      throw new Error(
        "Cognito domain prefixes may not contain aws, amazon or cognito: set context cognitoDomainPrefix",
      );

    this.logsKey = new LogsKey(this, "LogsKey");
    this.data = new EscrowTable(this, "Data");
    /**
     * Escrow events for marketplaces. The task Lambdas (and the API and the
     * reconciler, for what they publish) set the message attributes `type`
     * (e.g. `escrow.released`) and `tenantId` on every publish, so each
     * subscription carries a filter policy on `tenantId` (and optionally
     * `type`). The topic holds every tenant's events: subscriptions are made by
     * the operator with that filter, never by marketplaces themselves.
     */
    this.events = new SecureTopic(this, "EscrowEvents", {
      displayName: "Escrow events",
      description: "Encrypts the escrow events topic",
    });
    this.opsAlerts = new SecureTopic(this, "OpsAlerts", {
      displayName: "Escrow ops alerts",
      description: "Encrypts the escrow ops-alerts topic",
      allowCloudWatchAlarms: true,
    });

    const workflowName = `${this.stackName}-EscrowLifecycle`;
    const stateMachineArn = EscrowWorkflow.arnOf(this, workflowName);
    const environment: Record<EnvName, string> = {
      TABLE_NAME: this.data.table.tableName,
      STATE_MACHINE_ARN: stateMachineArn,
      SUPPORTED_CURRENCIES: settings.supportedCurrencies,
      PAYMENT_PROVIDER: settings.paymentProvider,
      EVENTS_TOPIC_ARN: this.events.topic.topicArn,
      OPS_ALERTS_TOPIC_ARN: this.opsAlerts.topic.topicArn,
      PARK_AFTER_SECONDS: String(PARK_AFTER_SECONDS),
      // A reminder may go out up to one period early, never fall between two runs.
      REMINDER_EARLY_SECONDS: String(settings.reconcileSeconds),
      RECONCILE_SECONDS: String(settings.reconcileSeconds),
      CELL_ID: settings.cellId ?? "",
      // The console, its app client and the sign-in domain are made with the API, after the functions.
      OPS_CONSOLE_URL: Lazy.string({ produce: () => this.opsConsole.url }),
      EXECUTION_CONSOLE_URL: `https://${Aws.REGION}.console.aws.amazon.com/states/home?region=${Aws.REGION}#/v2/executions/details/{executionArn}`,
      OPS_CONSOLE_CLIENT_ID: Lazy.string({ produce: () => this.opsConsole.client.userPoolClientId }),
      OPS_AUTH_URL: Lazy.string({ produce: () => this.api.domain.baseUrl() }),
      OPS_CONSOLE_ASSETS: "console",
    };
    this.functions = FUNCTIONS.map((spec) => ({
      spec,
      construct: new ServiceFunction(this, spec.id, {
        spec,
        repoRoot: REPO_ROOT,
        environment,
        logLevel: settings.logLevel,
        table: this.data,
        stateMachineArn,
        logsKey: this.logsKey.key,
        publishStatements: {
          events: this.events.publishStatements(),
          opsAlerts: this.opsAlerts.publishStatements(),
        },
      }),
    }));

    // The reconciler runs on a schedule, one run at a time (its failures raise the Lambda errors alarm).
    const reconciler = this.functions.find(({ spec }) => spec.reconciles)?.construct.fn;
    if (reconciler)
      this.reconcileSchedule = new Rule(this, "ReconcileSchedule", {
        description: "Brings stranded escrows back to where their records say they are",
        schedule: Schedule.rate(Duration.seconds(settings.reconcileSeconds)),
        targets: [new LambdaFunction(reconciler, { retryAttempts: 0 })],
      });

    const tasks = new Map(
      this.functions
        .filter(({ spec }) => spec.substitution)
        .map(({ spec, construct }) => [spec.substitution as string, construct.fn]),
    );
    // A task no local run reaches (its spec justifies every grant it has): so is the workflow's invoke of it.
    const neverInvoked = new Map(
      this.functions.flatMap(({ spec }) => {
        const all = spec.notExercisedLocally?.find((g) => g.actions.includes("*"));
        return spec.substitution && all ? [[spec.substitution, all.reason] as const] : [];
      }),
    );
    this.workflow = new EscrowWorkflow(this, "Workflow", {
      name: workflowName,
      definitionFile: join(REPO_ROOT, DEFINITION_FILE),
      tasks,
      tasksNotExercisedLocally: neverInvoked,
      logsKey: this.logsKey.key,
    });

    const apiFunctions = this.functions
      .filter(({ spec }) => spec.role === "api")
      .map(({ spec, construct }) => ({ spec, fn: construct.fn }));
    const byRole = (role: FunctionSpec["role"]) => {
      const found = this.functions.find(({ spec }) => spec.role === role)?.construct.fn;
      if (!found) throw new Error(`no ${role} function in FUNCTIONS`);
      return found;
    };
    this.api = new EscrowApi(this, "Api", {
      routes: apiFunctions,
      cognitoDomainPrefix: domainPrefix,
      rateLimit: settings.apiRateLimit,
      burstLimit: settings.apiBurstLimit,
      createCloudWatchRole: settings.apiGatewayCloudWatchRole,
      logsKey: this.logsKey.key,
      tenantClaimTrigger: byRole("trigger"),
    });
    this.opsConsole = new OpsConsole(this, "Console", {
      api: this.api.api,
      userPool: this.api.userPool,
      resourceServer: this.api.resourceServer,
      fn: byRole("console"),
    });
    this.firewall = new ApiFirewall(this, "Firewall", {
      stageArn: this.api.api.deploymentStage.stageArn,
      rateLimitPer5Min: settings.wafRateLimitPer5Min,
      logsKey: this.logsKey.key,
    });

    this.alarms = new EscrowAlarms(this, "Alarms", {
      opsAlerts: this.opsAlerts.topic,
      stateMachine: this.workflow.stateMachine,
      api: this.api.api,
      functions: this.functions.map(({ spec, construct }) => ({ spec, fn: construct.fn })),
      table: this.data.table,
    });

    const out = (key: string, value: string, description: string) =>
      new CfnOutput(this, key, { value, description });
    out(OUTPUT.apiUrl, this.api.api.urlForPath("/v1"), "Base URL of the v1 API");
    out(OUTPUT.userPoolId, this.api.userPool.userPoolId, "Cognito user pool of the API's clients");
    out(OUTPUT.tokenEndpoint, this.api.tokenEndpoint, "OAuth 2.0 token endpoint (client credentials)");
    out(OUTPUT.stateMachineArn, this.workflow.stateMachine.stateMachineArn, "The escrow workflow");
    out(OUTPUT.eventsTopicArn, this.events.topic.topicArn, "Escrow events (filter on tenantId, type)");
    out(OUTPUT.opsAlertsTopicArn, this.opsAlerts.topic.topicArn, "Alarms and escalations for ops");
    out(OUTPUT.tableName, this.data.table.tableName, "The escrow table");
    out(OUTPUT.opsConsoleUrl, this.opsConsole.url, "The ops console (sign in with a user of the pool)");
    out(OUTPUT.opsConsoleClientId, this.opsConsole.client.userPoolClientId, "The ops console's app client");

    acknowledgeEscrowFindings(this);
  }
}

/**
 * The app `cdk synth` runs (infra/app.ts) and the tests build: the stack,
 * named by context `stackName` (default `Escrow`, or `Escrow-<cellId>` for a
 * cell: `cdk deploy -c cellId=c2` adds cell c2), and the cdk-nag packs.
 * Context `terminationProtection=false` allows deleting a test deployment.
 */
export function createEscrowApp(props: AppProps = {}) {
  const app = new App(props);
  const cellId = app.node.tryGetContext("cellId");
  const stackName = String(
    app.node.tryGetContext("stackName") ?? (cellId && cellId !== HOME_CELL ? `Escrow-${cellId}` : "Escrow"),
  );
  const stack = new EscrowStack(app, stackName, {
    description: "Serverless escrow (secured transaction) service",
    terminationProtection: String(app.node.tryGetContext("terminationProtection") ?? "true") !== "false",
  });
  const packs = registerNagPacks(app);
  return { app, stack, packs };
}
