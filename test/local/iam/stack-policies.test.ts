import { beforeAll, describe, expect, it } from "vitest";
import { LocalIam } from "../../../infra/local/iam/local-iam";
import type { IamModel } from "../../../infra/local/iam/model";
import { STATE_MACHINE_PRINCIPAL } from "../../../infra/local/iam/model";
import { readIamModel } from "../../../infra/local/iam/template-policies";
import { readModel, type Template } from "../../../infra/local/template";
import { synthEscrow } from "../../infra/synth";

/**
 * The local IAM on the stack's own template: the intrinsic functions
 * (Fn::Join of partition, Region and account, Fn::GetAtt of the table, keys,
 * log groups, rules and roles, Ref of topics and the REST API) resolve to the
 * very ARNs the local services answer to, and AWS's decisions follow.
 */
const ACCOUNT = "000000000000";
const TABLE = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/escrow-local`;
let template: Template;
let model: IamModel;
let iam: LocalIam;
let machine: string;
let eventsTopic: string;

beforeAll(() => {
  template = synthEscrow().template.toJSON() as Template;
  model = readIamModel(template);
  iam = new LocalIam(model, { mode: "enforce" });
  const local = readModel(template);
  machine = local.stateMachine.arn;
  eventsTopic = local.outputs.EventsTopicArn as string;
});

describe("the stack's policies, resolved to local ARNs", () => {
  it("has a principal per function and one for the state machine, each with its own role", () => {
    const functions = readModel(template).functions;
    expect(Object.keys(model.principals).sort()).toEqual(
      [...functions.map((f) => f.id), STATE_MACHINE_PRINCIPAL].sort(),
    );
    const roles = new Set(Object.values(model.principals).map((p) => p.roleArn));
    expect(roles.size).toBe(functions.length + 1);
    for (const p of Object.values(model.principals)) {
      expect(p.roleArn).toMatch(new RegExp(`^arn:aws:iam::${ACCOUNT}:role/`));
      expect(p.policies.length).toBeGreaterThan(0);
    }
  });

  it("resolves the table, its indexes, the state machine, its executions, the topics and their keys", () => {
    const resources = JSON.stringify(
      Object.values(model.principals).map((p) => p.policies.map((x) => x.document)),
    );
    expect(resources).toContain(`"${TABLE}"`);
    expect(resources).toMatch(new RegExp(`"${TABLE}/index/[A-Za-z]+"`));
    expect(resources).toContain(`"${machine}"`);
    expect(resources).not.toMatch(/Fn::|"Ref"/);
    expect(model.topicKeys[eventsTopic]).toMatch(new RegExp(`^arn:aws:kms:us-east-1:${ACCOUNT}:key/`));
    expect(Object.keys(model.keyPolicies)).toContain(model.topicKeys[eventsTopic]);
    expect(model.executeApiArn).toMatch(
      new RegExp(`^arn:aws:execute-api:us-east-1:${ACCOUNT}:[A-Za-z0-9]+/prod$`),
    );
    expect(model.schedules).toHaveLength(1);
  });
});

describe("decisions on the stack's policies", () => {
  it("lets CreateEscrow write the table and start the workflow, and nothing it was not given", () => {
    expect(iam.authorize("CreateEscrow", "dynamodb:PutItem", TABLE)).toBeUndefined();
    expect(iam.authorize("CreateEscrow", "states:StartExecution", machine)).toBeUndefined();
    expect(iam.authorize("CreateEscrow", "dynamodb:DeleteItem", TABLE)).toMatch(
      /^User: arn:aws:sts::000000000000:assumed-role\/CreateEscrowRole[A-Z0-9]+\/CreateEscrowFunction[A-Z0-9]+ is not authorized to perform: dynamodb:DeleteItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table\/escrow-local because no identity-based policy allows the dynamodb:DeleteItem action$/,
    );
    expect(iam.authorize("CreateEscrow", "sns:Publish", eventsTopic)).toMatch(
      /not authorized to perform: sns:Publish/,
    );
    expect(iam.authorize("CreateEscrow", "dynamodb:PutItem", `${TABLE}-other`)).toBeDefined();
  });

  it("lets the announcing tasks publish to the events topic through its key (key policy delegates to IAM)", () => {
    const key = model.topicKeys[eventsTopic] as string;
    expect(iam.authorize("SettleEscrow", "sns:Publish", eventsTopic)).toBeUndefined();
    expect(iam.authorize("SettleEscrow", "kms:GenerateDataKey", key)).toBeUndefined();
    expect(iam.authorize("SettleEscrow", "kms:Decrypt", key)).toBeUndefined();
    // The key policy lets the account in; the role's own policies decide, and HoldFunds has none for the key.
    expect(iam.authorize("HoldFunds", "kms:GenerateDataKey", key)).toMatch(/no identity-based policy allows/);
    expect(iam.authorize("SettleEscrow", "kms:Encrypt", key)).toMatch(
      /no identity-based policy allows the kms:Encrypt/,
    );
  });

  it("lets the state machine invoke its task functions and no API function", () => {
    const arnOf = (id: string) => Object.entries(model.functionIds).find(([, f]) => f === id)?.[0] as string;
    expect(
      iam.authorize(STATE_MACHINE_PRINCIPAL, "lambda:InvokeFunction", arnOf("HoldFunds")),
    ).toBeUndefined();
    expect(
      iam.authorize(STATE_MACHINE_PRINCIPAL, "lambda:InvokeFunction", arnOf("CreateEscrow")),
    ).toBeDefined();
  });

  it("lets API Gateway invoke a route's function for that route only, and EventBridge the reconciler from its rule", () => {
    const arnOf = (id: string) => Object.entries(model.functionIds).find(([, f]) => f === id)?.[0] as string;
    const api = model.executeApiArn as string;
    expect(
      iam.authorizeInvoke("apigateway.amazonaws.com", arnOf("CreateEscrow"), `${api}/POST/v1/escrows`),
    ).toBeUndefined();
    expect(
      iam.authorizeInvoke("apigateway.amazonaws.com", arnOf("CreateEscrow"), `${api}/GET/v1/escrows`),
    ).toBeDefined();
    expect(
      iam.authorizeInvoke("apigateway.amazonaws.com", arnOf("GetEscrow"), `${api}/GET/v1/escrows/esc_1`),
    ).toBeUndefined();
    const rule = model.schedules[0]?.ruleArn as string;
    expect(iam.authorizeInvoke("events.amazonaws.com", arnOf("Reconciler"), rule)).toBeUndefined();
    expect(iam.authorizeInvoke("events.amazonaws.com", arnOf("Reconciler"), `${rule}-other`)).toBeDefined();
    expect(iam.authorizeInvoke("events.amazonaws.com", arnOf("GetEscrow"), rule)).toBeDefined();
  });

  it("refuses a caller it cannot name, and a function that is not the stack's", () => {
    expect(iam.authorize("?", "dynamodb:GetItem", TABLE)).toMatch(/outside any function invocation/);
    expect(iam.authorize("NoSuchFunction", "dynamodb:GetItem", TABLE)).toMatch(/no function of the stack/);
  });

  it("refuses a grant taken out of the template, with the explicit-deny wording for a Deny put in", () => {
    const reconciler = model.principals.Reconciler;
    if (!reconciler) throw new Error("no Reconciler");
    const execution = `${machine.replace(":stateMachine:", ":execution:")}:esc_1`;
    expect(iam.authorize("Reconciler", "states:DescribeExecution", execution)).toBeUndefined();
    const without: IamModel = structuredClone(model);
    const target = without.principals.Reconciler as typeof reconciler;
    for (const p of target.policies)
      p.document.Statement = ([] as (typeof p.document.Statement)[])
        .concat(p.document.Statement)
        .flat()
        .filter((s) => !JSON.stringify(s.Action).includes("states:DescribeExecution"));
    expect(
      new LocalIam(without, { mode: "enforce" }).authorize(
        "Reconciler",
        "states:DescribeExecution",
        execution,
      ),
    ).toMatch(
      /is not authorized to perform: states:DescribeExecution on resource: arn:aws:states:us-east-1:000000000000:execution:Escrow-EscrowLifecycle:esc_1 because no identity-based policy allows/,
    );
    const denied: IamModel = structuredClone(model);
    (denied.principals.Reconciler as typeof reconciler).policies.push({
      name: "Deny",
      justifications: [],
      document: { Statement: { Effect: "Deny", Action: "states:*", Resource: "*" } },
    });
    expect(
      new LocalIam(denied, { mode: "enforce" }).authorize(
        "Reconciler",
        "states:DescribeExecution",
        execution,
      ),
    ).toMatch(/with an explicit deny in an identity-based policy$/);
    // warn: the call goes through, the refusal is still kept for the report.
    const warn = new LocalIam(without, { mode: "warn" });
    expect(warn.authorize("Reconciler", "states:DescribeExecution", execution)).toBeUndefined();
    expect(warn.refusals()).toMatchObject([
      { principal: "Reconciler", action: "states:DescribeExecution", allowed: false },
    ]);
  });
});
