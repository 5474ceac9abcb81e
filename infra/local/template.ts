import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { OUTPUT } from "../constructs/outputs";

/**
 * The local runtime's view of the synthesized CloudFormation template: the
 * table, the functions (with their environment and source entry), the state
 * machine, the topics and the REST API's routes and gateway responses. Nothing
 * here is listed twice: it is all read from the template that `cdk deploy`
 * would deploy, so local and deployed cannot drift.
 */

export const LOCAL_REGION = "us-east-1";
export const LOCAL_ACCOUNT = "000000000000";

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is untyped; readModel checks what it uses
type Cfn = Record<string, any>;
export interface Template {
  Resources: Record<string, { Type: string; Properties?: Cfn; Metadata?: Cfn }>;
  Outputs?: Record<string, { Value?: unknown }>;
}

export interface LocalFunction {
  logicalId: string;
  id: string;
  entry: string;
  arn: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
}

export interface LocalRoute {
  method: string;
  /** Resource path with `{param}` segments, e.g. `/v1/escrows/{id}`. */
  resourcePath: string;
  authorization: "NONE" | "COGNITO_USER_POOLS";
  scopes: string[];
  integration:
    | { type: "AWS_PROXY"; functionLogicalId: string }
    | { type: "MOCK"; statusCode: number; body: string; headers: Record<string, string> };
}

export interface GatewayResponse {
  statusCode: number;
  headers: Record<string, string>;
  template: string;
}

export interface LocalModel {
  table: { logicalId: string; name: string; properties: Cfn };
  functions: LocalFunction[];
  stateMachine: {
    arn: string;
    name: string;
    definition: Record<string, unknown>;
    /** The definition substitutions, resolved (`HoldFundsFunctionArn`...). */
    substitutions: Record<string, string>;
  };
  topics: { logicalId: string; arn: string }[];
  /** The stack's outputs that resolve locally (`EventsTopicArn`, `StateMachineArn`...). */
  outputs: Record<string, string>;
  routes: LocalRoute[];
  gatewayResponses: Record<string, GatewayResponse>;
  stageName: string;
}

const functionArn = (logicalId: string) =>
  `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`;

/**
 * The local names of the topics (API.md v1.2: `escrow-events` and
 * `escrow-ops-alerts`, so a person tells them apart in `aws sns list-topics`),
 * found by the stack's outputs that name them; any other topic keeps its
 * logical id. In AWS CloudFormation names them.
 */
export const LOCAL_TOPIC_NAMES: Record<string, string> = {
  [OUTPUT.eventsTopicArn]: "escrow-events",
  [OUTPUT.opsAlertsTopicArn]: "escrow-ops-alerts",
};

function topicNames(template: Template): Map<string, string> {
  const names = new Map<string, string>();
  for (const [output, name] of Object.entries(LOCAL_TOPIC_NAMES)) {
    const value = template.Outputs?.[output]?.Value as { Ref?: unknown } | undefined;
    if (typeof value?.Ref === "string") names.set(value.Ref, name);
  }
  return names;
}

const sameRegion = (service: string, resource: string) =>
  `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${resource}`;

/** `Fn::GetAtt` of the resources only IAM policies point at (infra/local/iam): log groups, keys, rules, roles. */
function otherLocalArn(template: Template, id: string, attr: string): string | undefined {
  const resource = template.Resources[id];
  if (attr !== "Arn" || !resource) return undefined;
  const name = resource.Properties?.LogGroupName;
  switch (resource.Type) {
    case "AWS::Logs::LogGroup":
      return sameRegion("logs", `log-group:${typeof name === "string" ? name : id}:*`);
    case "AWS::KMS::Key":
      return sameRegion("kms", `key/${id}`);
    case "AWS::Events::Rule":
      return sameRegion("events", `rule/${id}`);
    case "AWS::IAM::Role":
      return `arn:aws:iam::${LOCAL_ACCOUNT}:role/${id}`;
    // The pool whose trigger the local issuer invokes (its permission names the pool).
    case "AWS::Cognito::UserPool":
      return sameRegion("cognito-idp", `userpool/${id}`);
  }
  return undefined;
}

/** `Ref` of the same resources (and of the REST API and its stage, which execute-api ARNs name). */
function otherLocalRef(template: Template, id: string): string | undefined {
  const resource = template.Resources[id];
  switch (resource?.Type) {
    case "AWS::StepFunctions::StateMachine":
      return sameRegion("states", `stateMachine:${String(resource.Properties?.StateMachineName ?? id)}`);
    case "AWS::ApiGateway::Stage":
      return String(resource.Properties?.StageName ?? id);
    case "AWS::IAM::ManagedPolicy":
      return `arn:aws:iam::${LOCAL_ACCOUNT}:policy/${id}`;
    case "AWS::ApiGateway::RestApi":
    case "AWS::KMS::Key":
    case "AWS::IAM::Role":
    case "AWS::Events::Rule":
      return id;
  }
  return undefined;
}

/** Resolves the intrinsic functions the stack uses to local names and ARNs; anything else is an error. */
export function makeResolver(template: Template, tableName: string) {
  const names = topicNames(template);
  const topicArn = (logicalId: string) =>
    `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${names.get(logicalId) ?? logicalId}`;
  const resolve = (value: unknown, where: string): unknown => {
    if (Array.isArray(value)) return value.map((v) => resolve(v, where));
    if (value === null || typeof value !== "object") return value;
    const obj = value as Cfn;
    const keys = Object.keys(obj);
    if (keys.length === 1 && keys[0] === "Ref") return ref(String(obj.Ref), where);
    if (keys.length === 1 && keys[0] === "Fn::GetAtt") {
      const [id, attr] = obj["Fn::GetAtt"] as [string, string];
      const type = template.Resources[id]?.Type;
      if (type === "AWS::Lambda::Function" && attr === "Arn") return functionArn(id);
      if (type === "AWS::SNS::Topic" && attr === "TopicArn") return topicArn(id);
      if (type === "AWS::DynamoDB::Table" && attr === "Arn")
        return `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${tableName}`;
      const arn = otherLocalArn(template, id, attr);
      if (arn !== undefined) return arn;
      throw new Error(`${where}: cannot resolve Fn::GetAtt ${id}.${attr} locally`);
    }
    if (keys.length === 1 && keys[0] === "Fn::Join") {
      const [sep, parts] = obj["Fn::Join"] as [string, unknown[]];
      return parts.map((p) => String(resolve(p, where))).join(sep);
    }
    if (keys.length === 1 && keys[0] === "Fn::Sub" && typeof obj["Fn::Sub"] === "string")
      return (obj["Fn::Sub"] as string).replace(/\$\{([^}]+)\}/g, (_, name: string) =>
        String(ref(name, where)),
      );
    if (keys.some((k) => k.startsWith("Fn::")))
      throw new Error(`${where}: cannot resolve ${keys[0]} locally`);
    return Object.fromEntries(keys.map((k) => [k, resolve(obj[k], `${where}.${k}`)]));
  };
  const ref = (name: string, where: string): string => {
    switch (name) {
      case "AWS::Region":
        return LOCAL_REGION;
      case "AWS::AccountId":
        return LOCAL_ACCOUNT;
      case "AWS::Partition":
        return "aws";
      case "AWS::URLSuffix":
        return "amazonaws.com";
    }
    const type = template.Resources[name]?.Type;
    if (type === "AWS::DynamoDB::Table") return tableName;
    if (type === "AWS::SNS::Topic") return topicArn(name);
    if (type === "AWS::Lambda::Function") return name;
    const local = otherLocalRef(template, name);
    if (local !== undefined) return local;
    // Names that mean something only in AWS (the API's id, the console's app client and sign-in
    // domain): their logical id stands in, and the local runtime sets the values the local
    // service needs (infra/local/main.ts, localOverrides).
    if (type && PLACEHOLDER_TYPES.has(type)) return name;
    throw new Error(`${where}: cannot resolve Ref ${name} (${type ?? "unknown"}) locally`);
  };
  return resolve;
}

const PLACEHOLDER_TYPES: ReadonlySet<string> = new Set([
  "AWS::Cognito::UserPoolClient",
  "AWS::Cognito::UserPoolDomain",
]);

const ofType = (template: Template, type: string) =>
  Object.entries(template.Resources).filter(([, r]) => r.Type === type);

export function readModel(template: Template, tableName = "escrow-local"): LocalModel {
  const resolve = makeResolver(template, tableName);
  const tables = ofType(template, "AWS::DynamoDB::Table");
  if (tables.length !== 1)
    throw new Error(`expected one DynamoDB table in the template, found ${tables.length}`);
  const [tableId, tableRes] = tables[0] as [string, { Properties: Cfn }];

  const functions: LocalFunction[] = ofType(template, "AWS::Lambda::Function")
    .filter(([, r]) => r.Metadata?.["escrow:entry"])
    .map(([logicalId, r]) => ({
      logicalId,
      id: String(r.Metadata?.["escrow:functionId"]),
      entry: String(r.Metadata?.["escrow:entry"]),
      arn: functionArn(logicalId),
      environment: resolve(r.Properties?.Environment?.Variables ?? {}, `${logicalId}.Environment`) as Record<
        string,
        string
      >,
      timeoutSeconds: Number(r.Properties?.Timeout ?? 3),
      memoryMb: Number(r.Properties?.MemorySize ?? 128),
    }));

  const machines = ofType(template, "AWS::StepFunctions::StateMachine");
  if (machines.length !== 1) throw new Error(`expected one state machine, found ${machines.length}`);
  const [, sm] = machines[0] as [string, { Properties: Cfn }];
  const substitutions = resolve(
    sm.Properties.DefinitionSubstitutions ?? {},
    "DefinitionSubstitutions",
  ) as Record<string, string>;
  const rawDefinition = String(resolve(sm.Properties.DefinitionString, "DefinitionString"));
  const definitionText = rawDefinition.replace(
    /\$\{([A-Za-z0-9_]+)\}/g,
    (whole, name: string) => substitutions[name] ?? whole,
  );
  const name = String(sm.Properties.StateMachineName ?? "EscrowLifecycle");

  const topics = ofType(template, "AWS::SNS::Topic").map(([logicalId]) => ({
    logicalId,
    arn: String(resolve({ Ref: logicalId }, logicalId)),
  }));

  // API Gateway: rebuild each method's full path from the resource tree.
  const resources = new Map(
    ofType(template, "AWS::ApiGateway::Resource").map(([id, r]) => [id, r.Properties as Cfn]),
  );
  const pathOf = (resourceRef: Cfn): string => {
    if (resourceRef.Ref === undefined) return ""; // the API's root resource (Fn::GetAtt RootResourceId)
    const r = resources.get(String(resourceRef.Ref));
    if (!r) throw new Error(`unknown API resource ${JSON.stringify(resourceRef)}`);
    return `${pathOf(r.ParentId as Cfn)}/${r.PathPart}`;
  };
  const routes: LocalRoute[] = ofType(template, "AWS::ApiGateway::Method")
    .map(([id, r]) => {
      const p = r.Properties as Cfn;
      const integration = p.Integration as Cfn;
      const resourcePath = pathOf(p.ResourceId as Cfn) || "/";
      if (integration.Type === "MOCK") {
        const response = (integration.IntegrationResponses as Cfn[])[0] as Cfn;
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries((response.ResponseParameters ?? {}) as Record<string, string>))
          headers[k.replace("method.response.header.", "")] = v.replace(/^'|'$/g, "");
        return {
          method: String(p.HttpMethod),
          resourcePath,
          authorization: p.AuthorizationType,
          scopes: p.AuthorizationScopes ?? [],
          integration: {
            type: "MOCK" as const,
            statusCode: Number(response.StatusCode ?? 200),
            body: String(Object.values(response.ResponseTemplates ?? { "": "" })[0]),
            headers: { "Content-Type": "application/json", ...headers },
          },
        };
      }
      const uri = String(resolve(integration.Uri, `${id}.Integration.Uri`));
      const fn = uri.match(/function:([^/]+)\/invocations$/)?.[1];
      if (integration.Type !== "AWS_PROXY" || !fn)
        throw new Error(`${id}: unsupported integration ${integration.Type}`);
      return {
        method: String(p.HttpMethod),
        resourcePath,
        authorization: p.AuthorizationType,
        scopes: p.AuthorizationScopes ?? [],
        integration: { type: "AWS_PROXY" as const, functionLogicalId: fn },
      };
    })
    .filter((r) => r.method !== "OPTIONS");

  const gatewayResponses: Record<string, GatewayResponse> = {};
  for (const [, r] of ofType(template, "AWS::ApiGateway::GatewayResponse")) {
    const p = r.Properties as Cfn;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries((p.ResponseParameters ?? {}) as Record<string, string>))
      headers[k.replace("gatewayresponse.header.", "")] = v.replace(/^'|'$/g, "");
    const templates = (p.ResponseTemplates ?? {}) as Record<string, string>;
    gatewayResponses[String(p.ResponseType)] = {
      statusCode: Number(p.StatusCode ?? 500),
      headers,
      template: templates["application/json"] ?? Object.values(templates)[0] ?? "",
    };
  }
  const stage = ofType(template, "AWS::ApiGateway::Stage")[0]?.[1].Properties?.StageName ?? "prod";

  const outputs: Record<string, string> = {};
  for (const [key, output] of Object.entries(template.Outputs ?? {})) {
    try {
      const value = resolve(output.Value, `Outputs.${key}`);
      if (typeof value === "string") outputs[key] = value;
    } catch {
      // an output that only means something in AWS (the API's URL...): not part of the local model
    }
  }

  return {
    table: { logicalId: tableId, name: tableName, properties: resolve(tableRes.Properties, tableId) as Cfn },
    functions,
    stateMachine: {
      arn: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`,
      name,
      definition: JSON.parse(definitionText),
      substitutions,
    },
    topics,
    outputs,
    routes,
    gatewayResponses,
    stageName: String(stage),
  };
}

/** The marketplace-facing topic of escrow events: the stack's `EventsTopicArn` output. */
export function eventsTopicOf(model: LocalModel): string {
  const arn = model.outputs[OUTPUT.eventsTopicArn];
  if (typeof arn !== "string" || !model.topics.some((t) => t.arn === arn))
    throw new Error(`cannot tell the escrow events topic: no ${OUTPUT.eventsTopicArn} output naming a topic`);
  return arn;
}

/** The function with this function id (`escrow:functionId`, else the logical id), when the stack has it. */
export function functionById(model: LocalModel, id: string): LocalFunction | undefined {
  return model.functions.find((f) => f.id === id) ?? model.functions.find((f) => f.logicalId === id);
}

// ---------------------------------------------------------------- synthesis (cached)

/**
 * What the template depends on: a change to any of these synthesizes again.
 * Besides these, every module of `functions/` that the CDK app imports
 * (directly or not: the route table, schemas, settings...).
 */
const SOURCES = ["infra", "statemachines", "cdk.json", "package-lock.json"];

const RELATIVE_IMPORT = /(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g;

/** The files under `functions/` that the infra code imports, followed through their own imports. */
function importedFunctionFiles(root: string, infraFiles: string[]): string[] {
  const seen = new Set<string>();
  const queue = [...infraFiles];
  const functionsDir = join(root, "functions");
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (!/\.[cm]?[jt]s$/.test(file)) continue;
    for (const m of readFileSync(file, "utf8").matchAll(RELATIVE_IMPORT)) {
      const base = join(dirname(file), m[1] as string);
      const target = [base, `${base}.ts`, join(base, "index.ts")].find(
        (c) => existsSync(c) && statSync(c).isFile(),
      );
      if (target === undefined || !target.startsWith(functionsDir) || seen.has(target)) continue;
      seen.add(target);
      queue.push(target);
    }
  }
  return [...seen].sort();
}

function fingerprint(root: string): string {
  const hash = createHash("sha256");
  const files: string[] = [];
  const walk = (path: string) => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (stat.isDirectory()) {
      if (path.endsWith("infra/local")) return; // the local runtime does not shape the template
      for (const name of readdirSync(path).sort()) walk(join(path, name));
    } else files.push(path);
  };
  for (const s of SOURCES) walk(join(root, s));
  for (const path of [...files, ...importedFunctionFiles(root, files)]) {
    hash.update(relative(root, path));
    hash.update(readFileSync(path));
  }
  return hash.digest("hex").slice(0, 16);
}

/**
 * Synthesizes the CDK app in process, without bundling the functions (the
 * local runtime runs their sources), and keeps the template under the data
 * folder keyed by a fingerprint of its sources so a restart is quick.
 */
export async function loadTemplate(
  root: string,
  dataDir: string,
  cacheDir = join(dataDir, "template"),
): Promise<{ template: Template; cached: boolean }> {
  const file = join(cacheDir, `${fingerprint(root)}.json`);
  try {
    return { template: JSON.parse(readFileSync(file, "utf8")), cached: true };
  } catch {
    // not synthesized yet (or replaced meanwhile by a start from other sources sharing the cache)
  }
  const { createEscrowApp } = await import("../escrow-stack");
  const outdir = mkdtempSync(join(tmpdir(), "escrow-local-synth-"));
  try {
    const { app, stack } = createEscrowApp({ outdir, context: { "aws:cdk:bundling-stacks": [] } });
    const template = app.synth().getStackByName(stack.stackName).template as Template;
    mkdirSync(cacheDir, { recursive: true });
    for (const old of readdirSync(cacheDir))
      if (old.endsWith(".json")) rmSync(join(cacheDir, old), { force: true });
    // Written then renamed, so a concurrent start never reads half a file.
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, JSON.stringify(template));
    renameSync(partial, file);
    return { template, cached: false };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
