import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { Architecture, type CfnFunction, Runtime, Tracing } from "aws-cdk-lib/aws-lambda";
import { LogLevel, NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { TAKEOVER_AFTER_MS } from "../../functions/app/escrow-service";
import type { EnvName, FunctionSpec, TopicName } from "../service-functions";
import type { EscrowTable } from "./escrow-table";
import { declareJustifications, justify } from "./grant-justification";
import { dropReferencedDependency } from "./implied-dependencies";

/** Lambda runtime: the newest Node.js this aws-cdk-lib knows; bundles target node22 so 22.x stays a fallback. */
export const RUNTIME = Runtime.NODEJS_24_X;
/**
 * The reconciler's own: it works through due marks until 5 s before its timeout (RECONCILE_RESERVE_MS),
 * so its timeout is its work per run — 120 s every 5 minutes is what the bench's capacity figure uses.
 */
export const TIMEOUTS = {
  api: Duration.seconds(10),
  task: Duration.seconds(30),
  reconciler: Duration.seconds(120),
} as const;
// A retry takes over a request older than TAKEOVER_AFTER_MS as one that died: the API functions must have
// stopped by then, or a request still running could be finished twice.
if (TIMEOUTS.api.toMilliseconds() >= TAKEOVER_AFTER_MS)
  throw new Error(
    `API functions must time out before a retry takes their request over (${TAKEOVER_AFTER_MS} ms)`,
  );
export const MEMORY_MB = 256;
/**
 * The reconciler's memory, and so its CPU (1,769 MB is one vCPU): its visits are CPU-bound (the SDK's
 * requests and the fold of each record), measured by the bench at about 2–3 ms of CPU each.
 */
export const RECONCILER_MEMORY_MB = 1024;
/** Builds the ops console's page into `<bundle>/console` (run by local bundling, in the repository root). */
const consoleBuildCommand = (output: string) =>
  `node --import tsx infra/console-build.ts ${JSON.stringify(join(output, "console"))}`;
/** Replaces the SDK's default credential chain in the bundles: see lambda-credentials.ts. */
const LAMBDA_CREDENTIALS = fileURLToPath(new URL("./lambda-credentials.ts", import.meta.url));

export interface ServiceFunctionProps {
  spec: FunctionSpec;
  /** Absolute path of the repository root (holds package-lock.json and the entries). */
  repoRoot: string;
  /** A value for each environment variable the spec reads (a missing one fails the synthesis). */
  environment: Partial<Record<EnvName, string>>;
  logLevel: string;
  table: EscrowTable;
  /** Built with formatArn, not from the StateMachine construct: task functions are invoked by it. */
  stateMachineArn: string;
  logsKey: IKey;
  /** sns:Publish (and the topics' KMS use) for a spec that `publishes`. */
  publishStatements?: Record<TopicName, PolicyStatement[]>;
}

/**
 * One Lambda function of FUNCTIONS: bundled with the local esbuild (CJS, the
 * AWS SDK inside), its own role with exactly the grants its spec implies, its
 * own log group, and Metadata that lets the local runtime find its source.
 */
export class ServiceFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly access: ManagedPolicy;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    const { spec } = props;

    this.logGroup = new LogGroup(this, "Logs", {
      retention: RetentionDays.THREE_MONTHS,
      encryptionKey: props.logsKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Our own role and one customer managed policy instead of AWSLambdaBasicExecutionRole and an
    // inline policy: logs go to this function's group only, and the grants are reviewable as one document.
    this.role = new Role(this, "Role", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      description: `${spec.id}: ${spec.entry}`,
    });
    const tableArn = props.table.table.tableArn;
    const statements = [
      justify(
        new PolicyStatement({
          actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
          resources: [this.logGroup.logGroupArn],
        }),
        "The Lambda runtime writes the function's logs; locally they go to the console.",
      ),
      // X-Ray has no resource-level permissions for trace submission.
      justify(
        new PolicyStatement({
          actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
          resources: ["*"],
        }),
        "Active tracing: the Lambda runtime sends the traces; there is no X-Ray locally.",
      ),
    ];
    // Exactly the calls the spec lists: no Scan, no `dynamodb:*`, no `index/*` (none at all for a function
    // that never touches the table: the served documents).
    if (spec.table.items.length > 0)
      statements.push(
        new PolicyStatement({ actions: spec.table.items.map((a) => `dynamodb:${a}`), resources: [tableArn] }),
      );
    if (spec.table.query?.length)
      statements.push(
        new PolicyStatement({
          actions: ["dynamodb:Query"],
          resources: spec.table.query.map((q) => (q === "table" ? tableArn : props.table.indexArn(q))),
        }),
      );
    if (spec.startsExecutions)
      statements.push(
        new PolicyStatement({ actions: ["states:StartExecution"], resources: [props.stateMachineArn] }),
      );
    if (spec.endsWaits)
      statements.push(
        new PolicyStatement({ actions: ["states:SendTaskSuccess"], resources: [props.stateMachineArn] }),
      );
    if (spec.publishes) {
      const topics = props.publishStatements;
      if (!topics) throw new Error(`${spec.id} publishes, and the stack gives it no topics`);
      // Only the topics it publishes to.
      for (const topic of spec.publishes) statements.push(...topics[topic]);
    }
    if (spec.describesExecutions)
      statements.push(
        // Its executions: <execution ARN prefix>:<name>, every name being an escrow's.
        new PolicyStatement({
          actions: ["states:DescribeExecution"],
          resources: [`${props.stateMachineArn.replace(":stateMachine:", ":execution:")}:*`],
        }),
      );
    if (spec.readsExecutions)
      statements.push(
        // The ops view reads the escrow's current execution and its last events; names are escrow ids.
        new PolicyStatement({
          actions: ["states:DescribeExecution", "states:GetExecutionHistory"],
          resources: [`${props.stateMachineArn.replace(":stateMachine:", ":execution:")}:*`],
        }),
      );
    this.access = new ManagedPolicy(this, "Access", {
      description: `What ${spec.id} may do`,
      statements,
      roles: [this.role],
    });
    declareJustifications(this.access, statements, spec.notExercisedLocally);

    const environment: Record<string, string> = {
      POWERTOOLS_SERVICE_NAME: "escrow",
      POWERTOOLS_LOG_LEVEL: props.logLevel,
      NODE_OPTIONS: "--enable-source-maps",
    };
    for (const name of spec.env) {
      const value = props.environment[name];
      if (value === undefined) throw new Error(`${spec.id} reads ${name}, and the stack gives it no value`);
      environment[name] = value;
    }

    this.fn = new NodejsFunction(this, "Function", {
      entry: join(props.repoRoot, spec.entry),
      handler: "handler",
      projectRoot: props.repoRoot,
      depsLockFilePath: join(props.repoRoot, "package-lock.json"),
      runtime: RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: spec.reconciles ? RECONCILER_MEMORY_MB : MEMORY_MB,
      timeout: spec.role === "api" ? TIMEOUTS.api : spec.reconciles ? TIMEOUTS.reconciler : TIMEOUTS.task,
      description: `${spec.id} (${spec.entry})`,
      // Grants live in `access` only; CDK's own additions (tracing) are already in it.
      role: this.role.withoutPolicyUpdates(),
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      environment,
      awsSdkConnectionReuse: false,
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.CJS,
        target: "node22",
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // Pinned SDK versions ship inside the bundle (not the runtime's copy).
        externalModules: [],
        // Prefer ESM entry points so esbuild can tree-shake the SDK and zod.
        mainFields: ["module", "main"],
        logLevel: LogLevel.ERROR,
        esbuildArgs: { "--alias:@aws-sdk/credential-provider-node": LAMBDA_CREDENTIALS },
        // The console's page is built beside its handler (hashed file names: cached for good).
        ...(spec.consoleAssets
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (_input: string, output: string) => [consoleBuildCommand(output)],
              },
            }
          : {}),
      },
    });

    // The function must not run before its policy is attached.
    this.fn.node.addDependency(this.access);
    const cfn = this.fn.node.defaultChild as CfnFunction;
    dropReferencedDependency(cfn, this.role);

    cfn.addMetadata("escrow:functionId", spec.id);
    cfn.addMetadata("escrow:entry", spec.entry);
  }
}
