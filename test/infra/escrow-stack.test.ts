import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { TABLE } from "../../functions/adapters/table-schema";
import { PROBLEM_CONTENT_TYPE, PROBLEMS, type ProblemCode, problemType } from "../../functions/api/problem";
import { FUNCTION_ROUTES, Health } from "../../functions/api/routes";
import { OUTPUT } from "../../infra/constructs/outputs";
import { REPO_ROOT } from "../../infra/escrow-stack";
import { FUNCTIONS, type FunctionSpec } from "../../infra/service-functions";
import { asArray, type Resources, refTarget, resourcesOf, synthEscrow } from "./synth";

let template: ReturnType<typeof synthEscrow>["template"];
let stackName: string;
let json: { Resources: Resources; Outputs: Record<string, unknown> };
/** Function id → logical id of its AWS::Lambda::Function. */
const fnLogicalId = new Map<string, string>();

beforeAll(() => {
  const built = synthEscrow();
  template = built.template;
  stackName = built.stack.stackName;
  json = template.toJSON() as typeof json;
  for (const [id, r] of Object.entries(resourcesOf(template, "AWS::Lambda::Function")))
    fnLogicalId.set(r.Metadata["escrow:functionId"], id);
});

const byType = (type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type);
/** The one resource of a type, as [logical id, resource]. */
const only = (type: string) => {
  const found = byType(type);
  expect(found, type).toHaveLength(1);
  return found[0] as [string, Resources[string]];
};
const apiSpecs = FUNCTIONS.filter((f) => f.route);
/** The ops console's page and assets (API.md v1.2), beside the route table's /v1 routes. */
const CONSOLE_ROUTES = ["GET /ops", "GET /ops/{proxy+}"];
/** The routes with data: everything but the public documents about the API. */
const tokenSpecs = apiSpecs.filter((f) => (f.route?.scopes.length ?? 0) > 0);
const documentSpecs = apiSpecs.filter((f) => f.route?.kind === "document");
const taskSpecs = FUNCTIONS.filter((f) => f.role === "task");

// ------------------------------------------------------------------------------------------ REST API

/** Path of every AWS::ApiGateway::Resource, rebuilt from PathPart and ParentId. */
function resourcePaths(): Map<string, string> {
  const resources = resourcesOf(template, "AWS::ApiGateway::Resource");
  const paths = new Map<string, string>();
  const pathOf = (id: string): string => {
    const known = paths.get(id);
    if (known) return known;
    const r = resources[id];
    if (!r) return ""; // the root resource
    const parent = refTarget(r.Properties.ParentId) ?? "";
    const path = `${resources[parent] ? pathOf(parent) : ""}/${r.Properties.PathPart}`;
    paths.set(id, path);
    return path;
  };
  for (const id of Object.keys(resources)) pathOf(id);
  return paths;
}

function methodsByRoute() {
  const paths = resourcePaths();
  const methods = new Map<string, Resources[string]["Properties"]>();
  for (const [, m] of byType("AWS::ApiGateway::Method")) {
    const path = paths.get(refTarget(m.Properties.ResourceId) ?? "") ?? "/";
    methods.set(`${m.Properties.HttpMethod} ${path}`, m.Properties);
  }
  return methods;
}

describe("REST API", () => {
  it("serves exactly the routes of FUNCTIONS, health and the console, and ANY (405) on each of their paths", () => {
    const expected = [...apiSpecs.map((f) => `${f.route?.method} ${f.route?.path}`)];
    expected.push(`${Health.method} ${Health.path}`);
    const routes = [...methodsByRoute().keys()];
    expect(routes.filter((r) => !r.startsWith("ANY ")).sort()).toEqual(
      [...expected, ...CONSOLE_ROUTES].sort(),
    );
    const paths = [...new Set([...expected, ...CONSOLE_ROUTES].map((r) => r.split(" ")[1]))];
    expect(routes.filter((r) => r.startsWith("ANY ")).sort()).toEqual(paths.map((p) => `ANY ${p}`).sort());
  });

  it("answers 405 method_not_allowed with Allow from a MOCK for the methods a path does not serve", () => {
    const methods = methodsByRoute();
    const servedBy = new Map<string, string[]>();
    for (const key of methods.keys()) {
      const [method, path] = key.split(" ") as [string, string];
      if (method !== "ANY") servedBy.set(path, [...(servedBy.get(path) ?? []), method]);
    }
    expect(servedBy.get("/v1/escrows")?.sort()).toEqual(["GET", "POST"]);
    for (const [path, served] of servedBy) {
      const any = methods.get(`ANY ${path}`);
      expect(any.AuthorizationType, path).toBe("NONE");
      expect(any.Integration.Type).toBe("MOCK");
      expect(any.Integration.PassthroughBehavior).toBe("NEVER");
      const [response] = any.Integration.IntegrationResponses;
      expect(response.StatusCode).toBe("405");
      expect(response.ResponseParameters["method.response.header.Allow"]).toBe(
        `'${served.sort().join(", ")}'`,
      );
      expect(response.ResponseParameters["method.response.header.Content-Type"]).toBe(
        `'${PROBLEM_CONTENT_TYPE}'`,
      );
      const body = JSON.parse(response.ResponseTemplates["application/json"]);
      expect(body).toMatchObject({
        type: problemType("method_not_allowed"),
        status: 405,
        code: "method_not_allowed",
      });
      expect(body.detail).toContain(served[0]);
      expect(JSON.parse(any.Integration.RequestTemplates["application/json"])).toEqual({ statusCode: 405 });
    }
  });

  it.each(documentSpecs.map((f) => [`${f.route?.method} ${f.route?.path}`, f] as const))(
    "%s is served without a token by its own function",
    (key, spec) => {
      const method = methodsByRoute().get(key);
      expect(method.AuthorizationType).toBe("NONE");
      expect(method.AuthorizerId).toBeUndefined();
      expect(method.Integration.Type).toBe("AWS_PROXY");
      expect(JSON.stringify(method.Integration.Uri)).toContain(fnLogicalId.get(spec.id));
    },
  );

  it.each(tokenSpecs.map((f) => [`${f.route?.method} ${f.route?.path}`, f] as const))(
    "%s needs a Cognito access token of the service and proxies to its function",
    (key, spec) => {
      const method = methodsByRoute().get(key);
      expect(method).toBeDefined();
      expect(method.AuthorizationType).toBe("COGNITO_USER_POOLS");
      expect(refTarget(method.AuthorizerId)).toBeDefined();
      // Any service scope passes the gateway (so it refuses ID tokens); the function enforces the route's
      // own scope with a 403 (test/api checks that), since the gateway would answer 401.
      expect([...method.AuthorizationScopes].sort()).toEqual(["escrow/marketplace", "escrow/ops"]);
      expect(method.Integration.Type).toBe("AWS_PROXY");
      expect(JSON.stringify(method.Integration.Uri)).toContain(fnLogicalId.get(spec.id));
    },
  );

  it("labels each method with its route (and function) in Metadata", () => {
    const paths = resourcePaths();
    for (const [, m] of byType("AWS::ApiGateway::Method")) {
      const path = paths.get(refTarget(m.Properties.ResourceId) ?? "");
      expect(m.Metadata["escrow:route"]).toBe(`${m.Properties.HttpMethod} ${path}`);
      const spec = CONSOLE_ROUTES.includes(m.Metadata["escrow:route"])
        ? FUNCTIONS.find((f) => f.role === "console")
        : apiSpecs.find((f) => `${f.route?.method} ${f.route?.path}` === m.Metadata["escrow:route"]);
      expect(m.Metadata["escrow:functionId"]).toBe(spec?.id);
    }
  });

  it("validates the body of every POST against a model", () => {
    const validators = resourcesOf(template, "AWS::ApiGateway::RequestValidator");
    for (const [key, method] of methodsByRoute()) {
      if (!key.startsWith("POST ")) continue;
      const validator = validators[refTarget(method.RequestValidatorId) ?? ""];
      expect(validator?.Properties.ValidateRequestBody, key).toBe(true);
      expect(refTarget(method.RequestModels?.["application/json"]), key).toBeDefined();
    }
  });

  it("answers GET /v1/health itself, with no authorizer", () => {
    const health = methodsByRoute().get(`${Health.method} ${Health.path}`);
    expect(health.AuthorizationType).toBe("NONE");
    expect(health.AuthorizerId).toBeUndefined();
    expect(health.AuthorizationScopes).toBeUndefined();
    expect(health.Integration.Type).toBe("MOCK");
    const [response] = health.Integration.IntegrationResponses;
    expect(response.StatusCode).toBe("200");
    expect(JSON.parse(response.ResponseTemplates["application/json"])).toEqual({ status: "ok" });
  });

  it("authorizes with the Cognito user pool", () => {
    template.hasResourceProperties("AWS::ApiGateway::Authorizer", {
      Type: "COGNITO_USER_POOLS",
      IdentitySource: "method.request.header.Authorization",
      ProviderARNs: [{ "Fn::GetAtt": [Match.anyValue(), "Arn"] }],
    });
  });

  it("has a user pool of operator-made users, each of one tenant, with the escrow scopes and a token endpoint", () => {
    template.hasResource("AWS::Cognito::UserPool", {
      DeletionPolicy: "Retain",
      Properties: Match.objectLike({
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        DeletionProtection: "ACTIVE",
      }),
    });
    template.hasResourceProperties("AWS::Cognito::UserPoolResourceServer", {
      Identifier: "escrow",
      Scopes: [Match.objectLike({ ScopeName: "marketplace" }), Match.objectLike({ ScopeName: "ops" })],
    });
    template.hasResourceProperties("AWS::Cognito::UserPoolDomain", {
      Domain: { "Fn::Join": ["", [`${stackName.toLowerCase()}-`, { Ref: "AWS::AccountId" }]] },
    });
  });
});

describe("the ops console (API.md v1.2)", () => {
  it("serves GET /ops and /ops/{proxy+} from its function, with no authorizer (the page holds no data)", () => {
    for (const route of CONSOLE_ROUTES) {
      const method = methodsByRoute().get(route);
      expect(method?.AuthorizationType, route).toBe("NONE");
      expect(method?.Integration.Type).toBe("AWS_PROXY");
      expect(JSON.stringify(method?.Integration.Uri)).toContain(fnLogicalId.get("OpsConsole"));
    }
  });

  it("signs people in with an app client of its own: code flow with PKCE, no secret, the ops scope, its URL as callback", () => {
    const [, client] = byType("AWS::Cognito::UserPoolClient")[0] ?? [];
    expect(byType("AWS::Cognito::UserPoolClient")).toHaveLength(1);
    const p = client?.Properties;
    expect(p.GenerateSecret).toBe(false);
    expect(p.AllowedOAuthFlows).toEqual(["code"]);
    expect(p.AllowedOAuthFlowsUserPoolClient).toBe(true);
    expect(p.AllowedOAuthScopes).toHaveLength(2);
    expect(p.AllowedOAuthScopes[0]).toBe("openid");
    // `<resource server>/ops`: the escrow/ops scope, named through the resource server it belongs to.
    expect(JSON.stringify(p.AllowedOAuthScopes[1])).toMatch(/ResourceServer.*"\/ops"/);
    expect(p.SupportedIdentityProviders).toEqual(["COGNITO"]);
    expect(p.WriteAttributes).toEqual([]);
    expect(p.PreventUserExistenceErrors).toBe("ENABLED");
    const callback = JSON.stringify(p.CallbackURLs);
    expect(callback).toContain(".execute-api.");
    expect(callback).toContain("/prod/ops/");
    expect(JSON.stringify(json.Outputs[OUTPUT.opsConsoleUrl])).toContain("/ops/");
  });

  it("gives each user one tenant, put into their access tokens by a V2_0 pre-token-generation trigger", () => {
    const [, pool] = only("AWS::Cognito::UserPool");
    expect(pool.Properties.Schema).toContainEqual(
      expect.objectContaining({ Name: "tenant", AttributeDataType: "String", Mutable: false }),
    );
    expect(pool.Properties.LambdaConfig.PreTokenGenerationConfig).toEqual({
      LambdaArn: { "Fn::GetAtt": [fnLogicalId.get("AddTenantClaim"), "Arn"] },
      LambdaVersion: "V2_0",
    });
    expect(pool.Properties.UserPoolAddOns ?? {}).not.toHaveProperty("AdvancedSecurityMode", "ENFORCED");
    expect(pool.Properties.MfaConfiguration).toBe("OPTIONAL");
    expect(pool.Properties.EnabledMfas).toEqual(["SOFTWARE_TOKEN_MFA"]);
  });

  it("links ops alerts and executions to the console", () => {
    const env = (id: string) => json.Resources[fnLogicalId.get(id) ?? ""]?.Properties.Environment.Variables;
    for (const id of ["EscalateToOps", "SettleEscrow", "Reconciler"])
      expect(JSON.stringify(env(id).OPS_CONSOLE_URL), id).toContain("/prod/ops/");
    expect(JSON.stringify(env("GetOpsEscrow").EXECUTION_CONSOLE_URL)).toContain(
      "console.aws.amazon.com/states/",
    );
  });

  it("stage prod: JSON access log, errors-only execution log without bodies, throttling, metrics, X-Ray", () => {
    const [, stage] = only("AWS::ApiGateway::Stage");
    const p = stage.Properties;
    expect(p.StageName).toBe("prod");
    expect(p.TracingEnabled).toBe(true);
    expect(refTarget(p.AccessLogSetting.DestinationArn)).toBeDefined();
    const sample = p.AccessLogSetting.Format.replace(/\$context\.[\w.]+/g, "x");
    expect(JSON.parse(sample)).toHaveProperty("clientId", "x");
    expect(p.MethodSettings).toEqual([
      expect.objectContaining({
        HttpMethod: "*",
        ResourcePath: "/*",
        LoggingLevel: "ERROR",
        DataTraceEnabled: false,
        MetricsEnabled: true,
        ThrottlingRateLimit: 1000,
        ThrottlingBurstLimit: 2000,
      }),
    ]);
  });

  const gatewayProblems: Array<[string, number, ProblemCode]> = [
    ["DEFAULT_4XX", 400, "validation_error"],
    ["DEFAULT_5XX", 500, "internal_error"],
    ["UNAUTHORIZED", 401, "unauthorized"],
    ["EXPIRED_TOKEN", 401, "unauthorized"],
    ["INVALID_SIGNATURE", 401, "unauthorized"],
    ["ACCESS_DENIED", 403, "forbidden"],
    ["WAF_FILTERED", 403, "forbidden"],
    ["MISSING_AUTHENTICATION_TOKEN", 404, "not_found"],
    ["RESOURCE_NOT_FOUND", 404, "not_found"],
    ["THROTTLED", 429, "rate_limited"],
    ["QUOTA_EXCEEDED", 429, "rate_limited"],
    ["BAD_REQUEST_BODY", 400, "validation_error"],
    ["BAD_REQUEST_PARAMETERS", 400, "validation_error"],
    ["REQUEST_TOO_LARGE", 400, "validation_error"],
  ];

  it.each(gatewayProblems)("gateway response %s is a %i %s problem document", (type, status, code) => {
    const found = byType("AWS::ApiGateway::GatewayResponse").find(
      ([, r]) => r.Properties.ResponseType === type,
    );
    expect(found, type).toBeDefined();
    const p = found?.[1].Properties;
    expect(p.StatusCode).toBe(String(status));
    expect(p.ResponseParameters["gatewayresponse.header.Content-Type"]).toBe(`'${PROBLEM_CONTENT_TYPE}'`);
    // What API Gateway substitutes: messageString is a quoted string; validationErrorString is escaped text.
    const rendered = p.ResponseTemplates["application/json"]
      .replaceAll("$context.error.messageString", '"Something \\"quoted\\""')
      .replaceAll(
        "$context.error.validationErrorString",
        '[object has missing required properties ([\\"actorId\\"])]',
      );
    const body = JSON.parse(rendered);
    expect(body).toEqual({
      type: problemType(code),
      title: PROBLEMS[code].title,
      status,
      detail: expect.any(String),
      code,
    });
    if (code === "internal_error") expect(body.detail).not.toContain("Something");
    // RFC 6750: every 401 carries the Bearer challenge (fixed in AWS: one for every cause).
    const challenge = p.ResponseParameters["gatewayresponse.header.WWW-Authenticate"];
    if (status === 401)
      expect(challenge).toMatch(
        /^'Bearer realm="escrow", error="invalid_token", error_description="[^"']+"'$/,
      );
    else expect(challenge).toBeUndefined();
  });

  it("is behind a WAF web ACL with managed rules and a rate limit, logged without the Authorization header", () => {
    const [aclId, acl] = only("AWS::WAFv2::WebACL");
    expect(acl.Properties.Scope).toBe("REGIONAL");
    const groups = acl.Properties.Rules.map(
      (r: { Statement: { ManagedRuleGroupStatement?: { Name: string } } }) =>
        r.Statement.ManagedRuleGroupStatement?.Name,
    ).filter(Boolean);
    expect(groups).toEqual(
      expect.arrayContaining([
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
      ]),
    );
    expect(acl.Properties.Rules).toContainEqual(
      expect.objectContaining({
        Statement: { RateBasedStatement: expect.objectContaining({ AggregateKeyType: "IP" }) },
        Action: {
          Block: expect.objectContaining({ CustomResponse: expect.objectContaining({ ResponseCode: 429 }) }),
        },
      }),
    );
    const [stageId] = only("AWS::ApiGateway::Stage");
    const [, association] = only("AWS::WAFv2::WebACLAssociation");
    expect(refTarget(association.Properties.WebACLArn)).toBe(aclId);
    expect(JSON.stringify(association.Properties.ResourceArn)).toContain(`"Ref":"${stageId}"`);
    template.hasResourceProperties("AWS::WAFv2::LoggingConfiguration", {
      ResourceArn: { "Fn::GetAtt": [aclId, "Arn"] },
      RedactedFields: [{ SingleHeader: { Name: "authorization" } }],
    });
  });
});

// ------------------------------------------------------------------------------------------ data

describe("table", () => {
  it("has the keys and KEYS_ONLY indexes of table-schema.ts, on demand", () => {
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      KeySchema: [
        { AttributeName: TABLE.partitionKey, KeyType: "HASH" },
        { AttributeName: TABLE.sortKey, KeyType: "RANGE" },
      ],
      BillingMode: "PAY_PER_REQUEST",
      GlobalSecondaryIndexes: Object.values(TABLE.indexes).map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: "HASH" },
          { AttributeName: index.sortKey, KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "KEYS_ONLY" },
      })),
    });
  });

  it("is protected: PITR, KMS encryption, TTL, deletion protection, retained", () => {
    template.hasResource("AWS::DynamoDB::Table", {
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: Match.objectLike({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
        DeletionProtectionEnabled: true,
      }),
    });
  });
});

describe("topics", () => {
  it.each([OUTPUT.eventsTopicArn, OUTPUT.opsAlertsTopicArn])(
    "%s is encrypted with a rotated customer managed key, refuses non-TLS use and signs with SHA256",
    (output) => {
      const topicId = refTarget((json.Outputs[output] as { Value: unknown }).Value) ?? "";
      const topic = json.Resources[topicId];
      expect(topic?.Type).toBe("AWS::SNS::Topic");
      // SignatureVersion 2: what the client's verifySnsMessage accepts.
      expect(topic?.Properties.SignatureVersion).toBe("2");
      const key = json.Resources[refTarget(topic?.Properties.KmsMasterKeyId) ?? ""];
      expect(key?.Type).toBe("AWS::KMS::Key");
      expect(key?.Properties.EnableKeyRotation).toBe(true);
      const policy = byType("AWS::SNS::TopicPolicy").find(([, p]) =>
        p.Properties.Topics.some((t: unknown) => refTarget(t) === topicId),
      );
      expect(policy).toBeDefined();
      expect(policy?.[1].Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: "Deny",
          Principal: { AWS: "*" },
          Action: expect.arrayContaining(["sns:Publish", "sns:Subscribe"]),
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        }),
      );
    },
  );

  it("lets CloudWatch alarms of this account publish to the ops topic", () => {
    const opsId = refTarget((json.Outputs[OUTPUT.opsAlertsTopicArn] as { Value: unknown }).Value);
    template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      Topics: [{ Ref: opsId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: "sns:Publish",
            Condition: Match.objectLike({ StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } }),
          }),
        ]),
      },
    });
  });
});

// ------------------------------------------------------------------------------------------ functions

describe("functions", () => {
  it("one Lambda function per FUNCTIONS entry", () => {
    expect([...fnLogicalId.keys()].sort()).toEqual(FUNCTIONS.map((f) => f.id).sort());
  });

  it.each(FUNCTIONS.map((f) => [f.id, f] as const))(
    "%s: Node.js 22+ on arm64, 256 MB (the reconciler 1,024 MB), its timeout, X-Ray, its own log group",
    (id, spec) => {
      const fn = json.Resources[fnLogicalId.get(id) ?? ""];
      const p = fn?.Properties;
      expect(p.Runtime).toMatch(/^nodejs(2[2-9]|[3-9]\d)\.x$/);
      expect(p.Architectures).toEqual(["arm64"]);
      expect(p.MemorySize).toBe(spec.reconciles ? 1024 : 256);
      expect(p.Timeout).toBe(spec.role === "api" ? 10 : spec.reconciles ? 120 : 30);
      expect(p.Handler).toBe("index.handler");
      expect(p.TracingConfig).toEqual({ Mode: "Active" });
      const logGroup = json.Resources[refTarget(p.LoggingConfig?.LogGroup) ?? ""];
      expect(logGroup?.Properties.RetentionInDays).toBe(90);
      expect(refTarget(logGroup?.Properties.KmsKeyId)).toBeDefined();
    },
  );

  it.each(FUNCTIONS.map((f) => [f.id, f] as const))(
    "%s: environment is exactly its spec's variables plus Powertools and source maps",
    (id, spec) => {
      const vars = json.Resources[fnLogicalId.get(id) ?? ""]?.Properties.Environment.Variables;
      expect(Object.keys(vars).sort()).toEqual(
        [...spec.env, "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_LOG_LEVEL", "NODE_OPTIONS"].sort(),
      );
      expect(vars.NODE_OPTIONS).toBe("--enable-source-maps");
      if (spec.env.includes("TABLE_NAME")) expect(refTarget(vars.TABLE_NAME)).toBe(tableId());
      if (spec.env.includes("SUPPORTED_CURRENCIES"))
        expect(vars.SUPPORTED_CURRENCIES).toBe("CNY,HKD,USD,EUR,GBP,JPY");
      if (spec.env.includes("PAYMENT_PROVIDER")) expect(vars.PAYMENT_PROVIDER).toBe("sandbox");
      if (spec.env.includes("STATE_MACHINE_ARN"))
        expect(JSON.stringify(vars.STATE_MACHINE_ARN)).toContain(`:stateMachine:${stateMachineName()}`);
      // A reminder may go out up to one reconciler period (300 s) early, never fall between two runs.
      if (spec.env.includes("REMINDER_EARLY_SECONDS")) expect(vars.REMINDER_EARLY_SECONDS).toBe("300");
    },
  );

  it.each(FUNCTIONS.map((f) => [f.id] as const))(
    "%s: created after its access policy, with no DependsOn its Role's GetAtt already implies",
    (id) => {
      const fn = json.Resources[fnLogicalId.get(id) ?? ""];
      const role = refTarget(fn?.Properties.Role);
      const dependsOn = asArray<string>(fn?.DependsOn);
      expect(dependsOn).not.toContain(role);
      const policies = dependsOn.filter((d) => json.Resources[d]?.Type === "AWS::IAM::ManagedPolicy");
      expect(policies).toHaveLength(1);
      expect(asArray(json.Resources[policies[0] as string]?.Properties.Roles).map(refTarget)).toEqual([role]);
    },
  );

  it("the state machine is created after its access policy, with no DependsOn on its role", () => {
    const [, machine] = only("AWS::StepFunctions::StateMachine");
    const dependsOn = asArray<string>(machine.DependsOn);
    expect(dependsOn).not.toContain(refTarget(machine.Properties.RoleArn));
    expect(dependsOn.map((d) => json.Resources[d]?.Type)).toContain("AWS::IAM::ManagedPolicy");
  });

  it.each(FUNCTIONS.map((f) => [f.id, f] as const))(
    "%s: Metadata tells the local runtime its id and an existing entry with a handler",
    (id, spec) => {
      const md = json.Resources[fnLogicalId.get(id) ?? ""]?.Metadata;
      expect(md["escrow:functionId"]).toBe(spec.id);
      expect(md["escrow:entry"]).toBe(spec.entry);
      const file = join(REPO_ROOT, md["escrow:entry"]);
      expect(existsSync(file), file).toBe(true);
      expect(readFileSync(file, "utf8")).toMatch(/export\s+(const|async\s+function|function)\s+handler\b/);
    },
  );
});

// ------------------------------------------------------------------------------------------ IAM

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  NotAction?: unknown;
}

/** Every identity-policy statement in the template, with the role logical ids it applies to. */
function identityStatements(): Array<{ roles: string[]; statement: Statement; where: string }> {
  const out: Array<{ roles: string[]; statement: Statement; where: string }> = [];
  for (const [id, r] of Object.entries(json.Resources)) {
    if (r.Type === "AWS::IAM::Policy" || r.Type === "AWS::IAM::ManagedPolicy") {
      const roles = asArray(r.Properties.Roles).map((x) => refTarget(x) ?? "");
      for (const statement of asArray<Statement>(r.Properties.PolicyDocument.Statement))
        out.push({ roles, statement, where: id });
    }
    if (r.Type === "AWS::IAM::Role")
      for (const policy of asArray<{ PolicyDocument: { Statement: Statement[] } }>(r.Properties.Policies))
        for (const statement of asArray(policy.PolicyDocument.Statement))
          out.push({ roles: [id], statement, where: id });
  }
  return out;
}

const DATA_SERVICES = /^(dynamodb|states|sns|lambda|kms|s3|sqs):/;

function roleOf(id: string): string {
  return refTarget(json.Resources[fnLogicalId.get(id) ?? ""]?.Properties.Role) ?? "";
}

function dataActionsOf(role: string): Map<string, unknown[]> {
  const actions = new Map<string, unknown[]>();
  for (const { roles, statement } of identityStatements()) {
    if (!roles.includes(role) || statement.Effect !== "Allow") continue;
    for (const action of asArray(statement.Action))
      if (DATA_SERVICES.test(action))
        actions.set(action, [...(actions.get(action) ?? []), ...asArray(statement.Resource)]);
  }
  return actions;
}

function expectedActions(spec: FunctionSpec): string[] {
  const actions = spec.table.items.map((a) => `dynamodb:${a}`);
  if (spec.table.query?.length) actions.push("dynamodb:Query");
  if (spec.startsExecutions) actions.push("states:StartExecution");
  if (spec.endsWaits) actions.push("states:SendTaskSuccess");
  if (spec.publishes) actions.push("sns:Publish", "kms:Decrypt", "kms:GenerateDataKey");
  // The reconciler describes the one execution each due escrow's record names (it never lists executions);
  // an action, a parked wait's execution before it starts the continuation.
  if (spec.describesExecutions) actions.push("states:DescribeExecution");
  if (spec.readsExecutions) actions.push("states:DescribeExecution", "states:GetExecutionHistory");
  return [...new Set(actions)].sort();
}

const tableId = () => byType("AWS::DynamoDB::Table")[0]?.[0];
const stateMachineName = () => byType("AWS::StepFunctions::StateMachine")[0]?.[1].Properties.StateMachineName;

describe("IAM", () => {
  it("no statement grants a wildcard action, and none gives Resource * to a data action", () => {
    for (const { statement, where } of identityStatements()) {
      expect(statement.NotAction, where).toBeUndefined();
      for (const action of asArray(statement.Action)) {
        expect(action, where).not.toBe("*");
        if (DATA_SERVICES.test(action)) {
          expect(action, where).not.toContain("*");
          expect(asArray(statement.Resource), `${where} ${action}`).not.toContain("*");
        }
      }
    }
  });

  it.each(FUNCTIONS.map((f) => [f.id, f] as const))(
    "%s has exactly the data actions its spec implies, on the table, its indexes, the state machine and the topics",
    (id, spec) => {
      const actions = dataActionsOf(roleOf(id));
      expect([...actions.keys()].sort()).toEqual(expectedActions(spec));
      const topics = [OUTPUT.eventsTopicArn, OUTPUT.opsAlertsTopicArn].map((o) =>
        refTarget((json.Outputs[o] as { Value: unknown }).Value),
      );
      for (const [action, resources] of actions) {
        for (const resource of resources) {
          const text = JSON.stringify(resource);
          if (action.startsWith("dynamodb:")) {
            expect(text).toContain(tableId());
            expect(text).not.toMatch(/index\/\*/);
          } else if (action === "sns:Publish") {
            expect(topics).toContain(refTarget(resource));
          } else if (action.startsWith("kms:")) {
            expect(json.Resources[refTarget(resource) ?? ""]?.Type).toBe("AWS::KMS::Key");
          } else if (action === "states:DescribeExecution" || action === "states:GetExecutionHistory") {
            expect(text).toContain(`:execution:${stateMachineName()}:*`);
          } else {
            expect(text).toContain(`:stateMachine:${stateMachineName()}`);
          }
        }
      }
    },
  );

  it("only creation and the actions (continuing a parked wait) start executions; GetEscrow cannot write", () => {
    const starters = FUNCTIONS.filter((f) => dataActionsOf(roleOf(f.id)).has("states:StartExecution"));
    expect(starters.map((f) => f.id).sort()).toEqual(
      [
        ...FUNCTION_ROUTES.filter((r) => r.kind === "create" || r.kind === "action").map((r) => r.id),
        "Reconciler",
      ].sort(),
    );
    const getEscrow = dataActionsOf(roleOf("GetEscrow"));
    expect(getEscrow.has("dynamodb:PutItem")).toBe(false);
    expect(getEscrow.has("dynamodb:UpdateItem")).toBe(false);
  });

  it("the workflow may invoke the task functions it names, and nothing else (the tasks publish)", () => {
    const role = refTarget(byType("AWS::StepFunctions::StateMachine")[0]?.[1].Properties.RoleArn) ?? "";
    const actions = dataActionsOf(role);
    expect([...actions.keys()].sort()).toEqual(["lambda:InvokeFunction"]);
    const invoked = (actions.get("lambda:InvokeFunction") ?? []).map(refTarget).sort();
    expect(invoked).toEqual(
      taskSpecs
        .filter((t) => t.substitution)
        .map((t) => fnLogicalId.get(t.id))
        .sort(),
    );
  });

  it("a function may publish only to its own topics (evidence: escrow events only); only the reconciler reads executions", () => {
    const topic = {
      events: refTarget((json.Outputs[OUTPUT.eventsTopicArn] as { Value: unknown }).Value),
      opsAlerts: refTarget((json.Outputs[OUTPUT.opsAlertsTopicArn] as { Value: unknown }).Value),
    };
    expect(FUNCTIONS.find((f) => f.id === "AddEvidence")?.publishes).toEqual(["events"]);
    for (const spec of FUNCTIONS) {
      const actions = dataActionsOf(roleOf(spec.id));
      const published = (actions.get("sns:Publish") ?? []).map(refTarget).sort();
      expect(published, spec.id).toEqual((spec.publishes ?? []).map((t) => topic[t]).sort());
    }
    for (const spec of taskSpecs) {
      const actions = dataActionsOf(roleOf(spec.id));
      expect(actions.has("states:ListExecutions"), spec.id).toBe(false);
      expect(actions.has("states:DescribeExecution"), spec.id).toBe(spec.describesExecutions === true);
    }
  });

  it("runs the reconciler on a schedule of ESCROW_RECONCILE_SECONDS (default 5 minutes)", () => {
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(5 minutes)",
      Targets: Match.arrayWith([
        Match.objectLike({ Arn: { "Fn::GetAtt": [fnLogicalId.get("Reconciler"), "Arn"] } }),
      ]),
    });
  });
});

// ------------------------------------------------------------------------------------------ workflow

interface AslState {
  Type: string;
  Resource?: string;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  Retry?: unknown[];
  Catch?: Array<{ ErrorEquals: string[]; Next: string }>;
}

describe("workflow", () => {
  const stateMachine = () => byType("AWS::StepFunctions::StateMachine")[0]?.[1].Properties;
  const definition = (): { States: Record<string, AslState> } => JSON.parse(stateMachine().DefinitionString);

  it("is a Standard state machine with an explicit name, all logging with execution data, X-Ray", () => {
    const p = stateMachine();
    expect(p.StateMachineType).toBe("STANDARD");
    expect(p.StateMachineName).toBe(`${stackName}-EscrowLifecycle`);
    expect(p.LoggingConfiguration).toMatchObject({ Level: "ALL", IncludeExecutionData: true });
    expect(p.TracingConfiguration).toEqual({ Enabled: true });
    const logGroup =
      json.Resources[
        refTarget(p.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn) ?? ""
      ];
    expect(logGroup?.Properties.RetentionInDays).toBe(365);
  });

  it("substitutes every placeholder: each task function of the workflow, and nothing else", () => {
    const p = stateMachine();
    const placeholders = new Set([...String(p.DefinitionString).matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]));
    expect([...placeholders].sort()).toEqual(Object.keys(p.DefinitionSubstitutions).sort());
    const states = taskSpecs.filter((t) => t.substitution);
    expect(Object.keys(p.DefinitionSubstitutions).sort()).toEqual(states.map((t) => t.substitution).sort());
    for (const task of states)
      expect(refTarget(p.DefinitionSubstitutions[task.substitution ?? ""]), task.id).toBe(
        fnLogicalId.get(task.id),
      );
  });

  it("every wait has a timeout, and its timeout is caught", () => {
    const waits = Object.entries(definition().States).filter(([, s]) =>
      s.Resource?.endsWith(".waitForTaskToken"),
    );
    expect(waits.length).toBeGreaterThan(0);
    for (const [name, state] of waits) {
      expect(state.TimeoutSecondsPath ?? state.TimeoutSeconds, name).toBeDefined();
      const catches = (state.Catch ?? []).flatMap((c) => c.ErrorEquals);
      expect(
        catches.some((e) => e === "States.Timeout" || e === "States.ALL"),
        name,
      ).toBe(true);
    }
  });

  it("every Lambda task retries", () => {
    for (const [name, state] of Object.entries(definition().States))
      if (state.Type === "Task" && state.Resource?.includes(":lambda:invoke"))
        expect(state.Retry?.length ?? 0, name).toBeGreaterThan(0);
  });
});

// ------------------------------------------------------------------------------------------ operations

describe("alarms", () => {
  const alarms = () => byType("AWS::CloudWatch::Alarm").map(([, a]) => a.Properties);
  const opsTopic = () => refTarget((json.Outputs[OUTPUT.opsAlertsTopicArn] as { Value: unknown }).Value);

  it("every alarm notifies the ops topic, on alarm and on recovery", () => {
    expect(alarms().length).toBeGreaterThan(0);
    for (const a of alarms()) {
      expect(a.AlarmActions.map(refTarget)).toEqual([opsTopic()]);
      expect(a.OKActions.map(refTarget)).toEqual([opsTopic()]);
    }
  });

  it.each(["ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted", "ExecutionThrottled"])(
    "watches the workflow's %s",
    (metric) => {
      expect(alarms().some((a) => a.Namespace === "AWS/States" && a.MetricName === metric)).toBe(true);
    },
  );

  it("watches API 5xx, each function's errors and throttles, and DynamoDB", () => {
    expect(alarms().some((a) => a.Namespace === "AWS/ApiGateway" && a.MetricName === "5XXError")).toBe(true);
    for (const metric of ["Errors", "Throttles"])
      for (const spec of FUNCTIONS)
        expect(
          alarms().some(
            (a) =>
              a.MetricName === metric &&
              a.Dimensions?.some((d: { Value: unknown }) => refTarget(d.Value) === fnLogicalId.get(spec.id)),
          ),
          `${spec.id} ${metric}`,
        ).toBe(true);
    const math = JSON.stringify(alarms().filter((a) => a.Metrics));
    expect(math).toContain("ThrottledRequests");
    expect(math).toContain("SystemErrors");
  });
});

describe("outputs and logs", () => {
  it("outputs what operators and register-client need", () => {
    expect(Object.keys(json.Outputs).sort()).toEqual(Object.values(OUTPUT).sort());
  });

  it("every log group has a retention, a KMS key, and survives the stack", () => {
    for (const [id, lg] of byType("AWS::Logs::LogGroup")) {
      expect(lg.Properties.RetentionInDays, id).toBeGreaterThanOrEqual(90);
      expect(refTarget(lg.Properties.KmsKeyId), id).toBeDefined();
      expect(lg.DeletionPolicy, id).toBe("Retain");
    }
  });
});
