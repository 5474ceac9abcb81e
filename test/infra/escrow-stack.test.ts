import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { TABLE } from "../../functions/adapters/table-schema";
import { PROBLEM_CONTENT_TYPE, PROBLEMS, type ProblemCode, problemType } from "../../functions/api/problem";
import { Health } from "../../functions/api/routes";
import { OUTPUT } from "../../infra/constructs/outputs";
import { FUNCTIONS } from "../../infra/service-functions";
import {
  apiSpecs,
  byType,
  CONSOLE_ROUTES,
  documentSpecs,
  fnLogicalId,
  json,
  only,
  stackName,
  template,
  tokenSpecs,
  useStack,
} from "./stack";
import { type Resources, refTarget, resourcesOf } from "./synth";

useStack();

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
