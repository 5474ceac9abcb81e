import { describe, expect, it } from "vitest";
import { formatLeastPrivilegeReport, leastPrivilegeReport } from "../../../infra/local/iam/least-privilege";
import type { IamModel } from "../../../infra/local/iam/model";
import type { CallRecord } from "../../../infra/local/iam/record";
import { apiGatewayInvoke } from "./statements";

const TABLE = "arn:aws:dynamodb:us-east-1:000000000000:table/t";
const FN = "arn:aws:lambda:us-east-1:000000000000:function:GetFn";
const model = (
  justifications: IamModel["principals"][string]["policies"][number]["justifications"] = [],
): IamModel => ({
  account: "000000000000",
  region: "us-east-1",
  principals: {
    Get: {
      id: "Get",
      roleArn: "arn:aws:iam::000000000000:role/GetRole",
      sessionArn: "arn:aws:sts::000000000000:assumed-role/GetRole/GetFn",
      policies: [
        {
          name: "GetAccess",
          justifications,
          document: {
            Statement: [
              {
                Effect: "Allow",
                Action: ["dynamodb:GetItem", "dynamodb:Query"],
                Resource: [TABLE, `${TABLE}/index/ByDue`],
              },
              {
                Effect: "Allow",
                Action: "logs:PutLogEvents",
                Resource: "arn:aws:logs:us-east-1:000000000000:log-group:g:*",
              },
              { Effect: "Deny", Action: "dynamodb:DeleteItem", Resource: "*" },
            ],
          },
        },
      ],
    },
  },
  functionIds: { [FN]: "Get" },
  invokePermissions: [
    {
      name: "GetPermission",
      functionArn: FN,
      document: {
        Statement: [apiGatewayInvoke(FN, "arn:aws:execute-api:us-east-1:000000000000:api/prod/GET/x")],
      },
    },
  ],
  topicPolicies: {},
  topicKeys: {},
  keyPolicies: {},
  schedules: [],
});
const call = (principal: string, action: string, resource: string, allowed = true): CallRecord => ({
  principal,
  action,
  resource,
  allowed,
  ...(allowed ? {} : { message: "not authorized" }),
});

describe("the least-privilege report", () => {
  it("lists each (action, resource) granted that no call used, per principal, and fails on them", () => {
    const report = leastPrivilegeReport(model(), [
      call("Get", "dynamodb:GetItem", TABLE),
      call("Get", "dynamodb:Query", `${TABLE}/index/ByDue`),
      call("apigateway.amazonaws.com", "lambda:InvokeFunction", FN),
    ]);
    const get = report.principals.find((p) => p.principal === "Get");
    expect(get?.unused.map((g) => `${g.action} ${g.resource}`)).toEqual([
      `dynamodb:GetItem ${TABLE}/index/ByDue`,
      `dynamodb:Query ${TABLE}`,
      "logs:PutLogEvents arn:aws:logs:us-east-1:000000000000:log-group:g:*",
    ]);
    expect(get?.grants).toHaveLength(5); // the Deny grants nothing
    expect(report.principals.find((p) => p.principal === "apigateway.amazonaws.com")?.unused).toEqual([]);
    expect(report.ok).toBe(false);
    expect(formatLeastPrivilegeReport(report)).toMatch(/FAIL: 0 refused call\(s\), 3 unused grant\(s\)/);
  });

  it("accepts an unused grant its policy justifies (actions with wildcards, resources when named)", () => {
    const report = leastPrivilegeReport(
      model([
        { actions: ["logs:*"], reason: "the Lambda runtime writes the logs" },
        {
          actions: ["dynamodb:Query", "dynamodb:GetItem"],
          resources: [TABLE, `${TABLE}/index/ByDue`],
          reason: "r",
        },
      ]),
      [call("Get", "dynamodb:GetItem", TABLE), call("apigateway.amazonaws.com", "lambda:InvokeFunction", FN)],
    );
    expect(report.principals.flatMap((p) => p.unused)).toEqual([]);
    expect(report.principals.find((p) => p.principal === "Get")?.justified).toHaveLength(4);
    expect(report.ok).toBe(true);
    // A justification that names other resources covers nothing here.
    const narrow = leastPrivilegeReport(
      model([
        {
          actions: ["logs:*"],
          resources: ["arn:aws:logs:us-east-1:000000000000:log-group:other:*"],
          reason: "r",
        },
      ]),
      [
        call("Get", "dynamodb:GetItem", TABLE),
        call("Get", "dynamodb:Query", TABLE),
        call("Get", "dynamodb:GetItem", `${TABLE}/index/ByDue`),
        call("Get", "dynamodb:Query", `${TABLE}/index/ByDue`),
        call("apigateway.amazonaws.com", "lambda:InvokeFunction", FN),
      ],
    );
    expect(narrow.principals.flatMap((p) => p.unused).map((g) => g.action)).toEqual(["logs:PutLogEvents"]);
  });

  it("fails on any refused call, once per distinct call, and on unattributed callers; and on no records at all", () => {
    const everything = [
      call("Get", "dynamodb:GetItem", TABLE),
      call("Get", "dynamodb:Query", TABLE),
      call("Get", "dynamodb:GetItem", `${TABLE}/index/ByDue`),
      call("Get", "dynamodb:Query", `${TABLE}/index/ByDue`),
      call("Get", "logs:PutLogEvents", "arn:aws:logs:us-east-1:000000000000:log-group:g:*"),
      call("apigateway.amazonaws.com", "lambda:InvokeFunction", FN),
    ];
    expect(leastPrivilegeReport(model(), everything).ok).toBe(true);
    const refused = leastPrivilegeReport(model(), [
      ...everything,
      call("Get", "dynamodb:PutItem", TABLE, false),
      call("Get", "dynamodb:PutItem", TABLE, false),
      call("?", "sns:Publish", "arn:aws:sns:us-east-1:000000000000:t", false),
    ]);
    expect(refused.ok).toBe(false);
    expect(refused.principals.find((p) => p.principal === "Get")?.refused).toHaveLength(1);
    expect(refused.strangers).toHaveLength(1);
    const none = leastPrivilegeReport(model([{ actions: ["*"], reason: "never invoked locally" }]), []);
    expect(none.ok).toBe(false);
    expect(formatLeastPrivilegeReport(none)).toMatch(/FAIL: no calls were recorded/);
  });
});
