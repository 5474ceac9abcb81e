import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { FUNCTION_ROUTES } from "../../functions/api/routes";
import { OUTPUT } from "../../infra/constructs/outputs";
import { REPO_ROOT } from "../../infra/escrow-stack";
import { FUNCTIONS, type FunctionSpec } from "../../infra/service-functions";
import { byType, fnLogicalId, json, only, stackName, taskSpecs, template, useStack } from "./stack";
import { asArray, refTarget } from "./synth";

useStack();

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
