import { describe, expect, it } from "vitest";
import { checkPolicies, evaluate } from "../../../infra/local/iam/evaluator";
import type { PolicyDocument, Statement } from "../../../infra/local/iam/policy";
import { matchesAction, matchesResource } from "../../../infra/local/iam/wildcard";
import { apiGatewayInvoke } from "./statements";

const TABLE = "arn:aws:dynamodb:us-east-1:000000000000:table/escrow-local";
const ROLE = "arn:aws:iam::000000000000:role/CreateEscrowRole";
const doc = (...Statement: Statement[]): PolicyDocument => ({ Version: "2012-10-17", Statement });
const allow = (Action: string | string[], Resource: string | string[]): Statement => ({
  Effect: "Allow",
  Action,
  Resource,
});
const effect = (policies: PolicyDocument[], action: string, resource: string, extra = {}) =>
  evaluate(policies, { action, resource, ...extra }).effect;

describe("action matching", () => {
  it("ignores case in the service prefix and the operation", () => {
    expect(matchesAction("dynamodb:GetItem", "DynamoDB:getitem")).toBe(true);
    expect(matchesAction("DYNAMODB:GETITEM", "dynamodb:GetItem")).toBe(true);
  });
  it("takes * and ? as wildcards, nothing else", () => {
    expect(matchesAction("dynamodb:Get*", "dynamodb:GetItem")).toBe(true);
    expect(matchesAction("kms:GenerateDataKey*", "kms:GenerateDataKey")).toBe(true);
    expect(matchesAction("kms:GenerateDataKey*", "kms:GenerateDataKeyWithoutPlaintext")).toBe(true);
    expect(matchesAction("states:Send?askSuccess", "states:SendTaskSuccess")).toBe(true);
    expect(matchesAction("states:Send?askSuccess", "states:SendTTaskSuccess")).toBe(false);
    expect(matchesAction("dynamodb:Get.tem", "dynamodb:GetXtem")).toBe(false); // a dot is a dot
    expect(matchesAction("dynamodb:GetItem", "dynamodb:GetItems")).toBe(false);
    expect(matchesAction("dynamodb:*", "sns:Publish")).toBe(false);
  });
});

describe("resource matching", () => {
  it("is case-sensitive", () => {
    expect(matchesResource(`${TABLE}`, TABLE.replace("escrow-local", "Escrow-Local"))).toBe(false);
    expect(
      matchesResource("arn:aws:sns:us-east-1:000000000000:Topic", "arn:aws:sns:us-east-1:000000000000:topic"),
    ).toBe(false);
  });
  it("does not give a table's ARN its indexes: an index is a resource of its own", () => {
    expect(matchesResource(TABLE, `${TABLE}/index/ByDue`)).toBe(false);
    expect(matchesResource(`${TABLE}/index/*`, `${TABLE}/index/ByDue`)).toBe(true);
    expect(matchesResource(`${TABLE}/index/*`, TABLE)).toBe(false);
    expect(matchesResource(`${TABLE}/index/ByDue`, `${TABLE}/index/ByTenant`)).toBe(false);
  });
  it("lets * run across / and : within the resource part (table/T* reaches T's indexes and table T2)", () => {
    expect(matchesResource(`${TABLE}*`, `${TABLE}/index/ByDue`)).toBe(true);
    expect(matchesResource(`${TABLE}*`, `${TABLE}2`)).toBe(true);
    const machine = "arn:aws:states:us-east-1:000000000000:stateMachine:Escrow-EscrowLifecycle";
    const executions = "arn:aws:states:us-east-1:000000000000:execution:Escrow-EscrowLifecycle:*";
    expect(matchesResource(executions, `${machine.replace(":stateMachine:", ":execution:")}:esc_1`)).toBe(
      true,
    );
    expect(matchesResource(executions, machine)).toBe(false);
    // Another state machine whose name starts the same: the colon before * keeps it out.
    expect(
      matchesResource(
        executions,
        "arn:aws:states:us-east-1:000000000000:execution:Escrow-EscrowLifecycle2:x",
      ),
    ).toBe(false);
  });
  it("keeps a wildcard within its ARN segment for region and account", () => {
    expect(matchesResource("arn:aws:dynamodb:*:*:table/escrow-local", TABLE)).toBe(true);
    expect(matchesResource("arn:aws:dynamodb:us-east-?:*:table/escrow-local", TABLE)).toBe(true);
    // `*` in the region does not swallow the account's colon.
    expect(matchesResource("arn:aws:dynamodb:*:table/escrow-local", TABLE)).toBe(false);
    expect(matchesResource("arn:aws:dynamodb:us-east-1:111111111111:table/escrow-local", TABLE)).toBe(false);
    expect(matchesResource("*", TABLE)).toBe(true);
  });
});

describe("evaluation", () => {
  const table = doc(
    allow(["dynamodb:GetItem", "dynamodb:UpdateItem"], TABLE),
    allow("dynamodb:Query", `${TABLE}/index/ByDue`),
  );

  it("allows what a statement allows and denies the rest implicitly", () => {
    expect(effect([table], "dynamodb:UpdateItem", TABLE)).toBe("Allow");
    expect(effect([table], "dynamodb:PutItem", TABLE)).toBe("ImplicitDeny");
    expect(effect([table], "dynamodb:Query", TABLE)).toBe("ImplicitDeny");
    expect(effect([table], "dynamodb:Query", `${TABLE}/index/ByDue`)).toBe("Allow");
    expect(effect([table], "dynamodb:Query", `${TABLE}/index/ByTenant`)).toBe("ImplicitDeny");
    expect(effect([], "dynamodb:GetItem", TABLE)).toBe("ImplicitDeny");
  });

  it("lets an explicit Deny win over any Allow, in any policy", () => {
    const deny = doc({ Effect: "Deny", Action: "dynamodb:Update*", Resource: "*" });
    expect(effect([table, deny], "dynamodb:UpdateItem", TABLE)).toBe("ExplicitDeny");
    expect(effect([deny, table], "dynamodb:UpdateItem", TABLE)).toBe("ExplicitDeny");
    expect(effect([table, deny], "dynamodb:GetItem", TABLE)).toBe("Allow");
  });

  it("reads NotAction and NotResource as everything but", () => {
    const all = doc({ Effect: "Allow", NotAction: "dynamodb:PutItem", NotResource: `${TABLE}/index/*` });
    expect(effect([all], "dynamodb:UpdateItem", TABLE)).toBe("Allow");
    expect(effect([all], "dynamodb:PutItem", TABLE)).toBe("ImplicitDeny");
    expect(effect([all], "dynamodb:Query", `${TABLE}/index/ByDue`)).toBe("ImplicitDeny");
  });

  it("evaluates the topic policy's TLS condition as AWS does (Bool, key names without case)", () => {
    const topic = "arn:aws:sns:us-east-1:000000000000:Events";
    const policy = doc({
      Effect: "Deny",
      Principal: { AWS: "*" },
      Action: ["sns:Publish", "sns:Subscribe"],
      Resource: topic,
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    const principal = { type: "AWS" as const, id: ROLE };
    expect(
      effect([policy], "sns:Publish", topic, { principal, context: { "AWS:SecureTransport": false } }),
    ).toBe("ExplicitDeny");
    expect(
      effect([policy], "sns:Publish", topic, { principal, context: { "aws:SecureTransport": true } }),
    ).toBe("ImplicitDeny");
    // The key absent: a positive operator does not hold, so the Deny does not apply.
    expect(effect([policy], "sns:Publish", topic, { principal })).toBe("ImplicitDeny");
  });

  it("matches a resource policy's Principal: the caller, its account (delegation), a service, or anyone", () => {
    const key = "arn:aws:kms:us-east-1:000000000000:key/EventsKey";
    const keyPolicy = doc({
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::000000000000:root" },
      Action: "kms:*",
      Resource: "*",
    });
    const fromAccount = evaluate([keyPolicy], {
      action: "kms:Decrypt",
      resource: key,
      principal: { type: "AWS", id: ROLE },
    });
    expect(fromAccount).toMatchObject({ effect: "Allow", via: "account" });
    expect(
      evaluate([keyPolicy], {
        action: "kms:Decrypt",
        resource: key,
        principal: { type: "AWS", id: "arn:aws:iam::111111111111:role/Other" },
      }).effect,
    ).toBe("ImplicitDeny");
    const direct = doc({ Effect: "Allow", Principal: { AWS: ROLE }, Action: "kms:Decrypt", Resource: "*" });
    expect(
      evaluate([keyPolicy, direct], {
        action: "kms:Decrypt",
        resource: key,
        principal: { type: "AWS", id: ROLE },
      }),
    ).toMatchObject({
      effect: "Allow",
      via: "principal",
    });
    const service = doc({
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: "lambda:InvokeFunction",
      Resource: "*",
    });
    expect(
      effect([service], "lambda:InvokeFunction", "x", {
        principal: { type: "Service", id: "events.amazonaws.com" },
      }),
    ).toBe("Allow");
    expect(
      effect([service], "lambda:InvokeFunction", "x", {
        principal: { type: "Service", id: "apigateway.amazonaws.com" },
      }),
    ).toBe("ImplicitDeny");
  });

  it("holds a Lambda permission to its source ARN (ArnLike, * over the path's parameters)", () => {
    const fn = "arn:aws:lambda:us-east-1:000000000000:function:GetEscrow";
    const permission = doc(
      apiGatewayInvoke(fn, "arn:aws:execute-api:us-east-1:000000000000:Api/prod/GET/v1/escrows/*"),
    );
    const from = (sourceArn: string) =>
      effect([permission], "lambda:InvokeFunction", fn, {
        principal: { type: "Service", id: "apigateway.amazonaws.com" },
        context: { "aws:SourceArn": sourceArn },
      });
    expect(from("arn:aws:execute-api:us-east-1:000000000000:Api/prod/GET/v1/escrows/esc_1")).toBe("Allow");
    expect(from("arn:aws:execute-api:us-east-1:000000000000:Api/prod/POST/v1/escrows/esc_1")).toBe(
      "ImplicitDeny",
    );
    expect(from("arn:aws:execute-api:us-east-1:000000000000:Other/prod/GET/v1/escrows/esc_1")).toBe(
      "ImplicitDeny",
    );
  });

  it("holds conditions: all keys of a block, any value of a key; negated operators and IfExists on a missing key", () => {
    const cond = (Condition: Statement["Condition"]) =>
      doc({ Effect: "Allow", Action: "sns:Publish", Resource: "*", Condition });
    const both = cond({
      StringEquals: { "aws:SourceAccount": "000000000000", "aws:PrincipalTag/team": ["a", "b"] },
    });
    expect(
      effect([both], "sns:Publish", "t", {
        context: { "aws:SourceAccount": "000000000000", "aws:PrincipalTag/team": "b" },
      }),
    ).toBe("Allow");
    expect(effect([both], "sns:Publish", "t", { context: { "aws:SourceAccount": "000000000000" } })).toBe(
      "ImplicitDeny",
    );
    expect(effect([cond({ StringNotEquals: { "aws:SourceAccount": "1" } })], "sns:Publish", "t")).toBe(
      "Allow",
    );
    expect(effect([cond({ StringEqualsIfExists: { "aws:SourceAccount": "1" } })], "sns:Publish", "t")).toBe(
      "Allow",
    );
    expect(effect([cond({ StringEquals: { "aws:SourceAccount": "1" } })], "sns:Publish", "t")).toBe(
      "ImplicitDeny",
    );
    expect(
      effect([cond({ StringEquals: { "aws:SourceAccount": "ABC" } })], "sns:Publish", "t", {
        context: { "aws:SourceAccount": "abc" },
      }),
    ).toBe("ImplicitDeny");
    expect(
      effect([cond({ StringLike: { "aws:SourceArn": "arn:*:alarm:*" } })], "sns:Publish", "t", {
        context: { "aws:SourceArn": "arn:aws:cloudwatch:us-east-1:1:alarm:x" },
      }),
    ).toBe("Allow");
    expect(effect([cond({ Null: { "aws:SourceArn": "true" } })], "sns:Publish", "t")).toBe("Allow");
  });

  it("refuses at load a condition operator it does not model rather than guess", () => {
    const odd = doc({
      Effect: "Allow",
      Action: "sns:Publish",
      Resource: "*",
      Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } },
    });
    expect(() => checkPolicies([odd], "OddPolicy")).toThrow(/IpAddress is not modelled/);
    expect(() => checkPolicies([doc({ Effect: "Allow", Resource: "*" })], "NoAction")).toThrow(
      /without Action/,
    );
  });
});
