import { spawnSync } from "node:child_process";
import {
  type Dirent,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TABLE } from "../../functions/adapters/table-schema";
import { REPO_ROOT } from "../../infra/escrow-stack";
import { FUNCTIONS } from "../../infra/service-functions";
import { asArray, type Resources, refTarget, resourcesOf, synthEscrow } from "./synth";

/**
 * The first-deploy checklist, with no AWS account: what a first `cdk deploy`
 * would otherwise find out the hard way. (The grants themselves are checked
 * by use: the local service enforces them and the least-privilege report,
 * infra/local/iam, holds them to what the end-to-end suites exercised.)
 */
const { app, stack, template, packs } = synthEscrow();
const functions = resourcesOf(template, "AWS::Lambda::Function");
const fnIdOf = (logicalId: string) => String(functions[logicalId]?.Metadata?.["escrow:functionId"]);
const reconciler = Object.keys(functions).find((id) => fnIdOf(id) === "Reconciler") as string;

describe("first-deploy checklist", () => {
  it("runs the reconciler on an enabled schedule, which may invoke it", () => {
    const rules = Object.entries(resourcesOf(template, "AWS::Events::Rule")).filter(([, r]) =>
      asArray(r.Properties.Targets).some((t: { Arn: unknown }) => refTarget(t.Arn) === reconciler),
    );
    expect(rules).toHaveLength(1);
    const [ruleId, rule] = rules[0] as [string, Resources[string]];
    expect(rule.Properties.State).toBe("ENABLED");
    expect(rule.Properties.ScheduleExpression).toMatch(/^rate\(\d+ minutes?\)$/);
    const permissions = Object.values(resourcesOf(template, "AWS::Lambda::Permission")).filter(
      (p) =>
        refTarget(p.Properties.FunctionName) === reconciler && refTarget(p.Properties.SourceArn) === ruleId,
    );
    expect(permissions.map((p) => [p.Properties.Action, p.Properties.Principal])).toEqual([
      ["lambda:InvokeFunction", "events.amazonaws.com"],
    ]);
  });

  it("alarms on every function's errors, the workflow, the API and the table, each telling the ops topic", () => {
    const alarms = Object.values(resourcesOf(template, "AWS::CloudWatch::Alarm"));
    const opsTopic = Object.keys(resourcesOf(template, "AWS::SNS::Topic")).find((id) =>
      id.startsWith("OpsAlerts"),
    );
    for (const alarm of alarms)
      expect(
        asArray(alarm.Properties.AlarmActions).map(refTarget),
        JSON.stringify(alarm.Properties.AlarmName),
      ).toContain(opsTopic);
    const watched = (namespace: string, metric: string) =>
      alarms
        .filter((a) => a.Properties.Namespace === namespace && a.Properties.MetricName === metric)
        .flatMap((a) => asArray(a.Properties.Dimensions).map((d: { Value: unknown }) => refTarget(d.Value)));
    expect(new Set(watched("AWS/Lambda", "Errors"))).toEqual(new Set(Object.keys(functions)));
    for (const metric of [
      "ExecutionsFailed",
      "ExecutionsTimedOut",
      "ExecutionsAborted",
      "ExecutionThrottled",
    ])
      expect(watched("AWS/States", metric), metric).toHaveLength(1);
    expect(
      alarms.some(
        (a) => a.Properties.Namespace === "AWS/ApiGateway" && a.Properties.MetricName === "5XXError",
      ),
    ).toBe(true);
    // The table's throttles and errors are metric math over its operations.
    expect(alarms.some((a) => JSON.stringify(a.Properties.Metrics ?? []).includes('"AWS/DynamoDB"'))).toBe(
      true,
    );
  });

  it("keeps every log for a set time, in the stack's own encrypted groups", () => {
    const groups = resourcesOf(template, "AWS::Logs::LogGroup");
    for (const [id, group] of Object.entries(groups)) {
      expect(group.Properties.RetentionInDays, id).toBeGreaterThan(0);
      expect(group.Properties.KmsKeyId, id).toBeDefined();
    }
    for (const [id, fn] of Object.entries(functions))
      expect(Object.keys(groups), id).toContain(refTarget(fn.Properties.LoggingConfig?.LogGroup));
    const machine = Object.values(resourcesOf(template, "AWS::StepFunctions::StateMachine"))[0];
    const destination =
      machine?.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn;
    expect(Object.keys(groups)).toContain(refTarget(destination));
  });

  it("has every index the code queries, with the keys the code writes", () => {
    const table = Object.values(resourcesOf(template, "AWS::DynamoDB::Table"))[0];
    const indexes = new Map(
      asArray(table?.Properties.GlobalSecondaryIndexes).map(
        (g: { IndexName: string; KeySchema: unknown[] }) => [g.IndexName, g.KeySchema],
      ),
    );
    for (const index of Object.values(TABLE.indexes))
      expect(indexes.get(index.name), index.name).toEqual([
        { AttributeName: index.partitionKey, KeyType: "HASH" },
        { AttributeName: index.sortKey, KeyType: "RANGE" },
      ]);
    // Queries name their index through TABLE.indexes only: no literal index name for this check to miss.
    const literal = sourcesOf(join(REPO_ROOT, "functions")).filter(([, text]) =>
      /IndexName:\s*["'`]/.test(text),
    );
    expect(literal.map(([file]) => file)).toEqual([]);
  });

  it("sets every environment variable each function reads (loadEnv names in its imports)", () => {
    for (const [logicalId, fn] of Object.entries(functions)) {
      const entry = join(REPO_ROOT, String(fn.Metadata?.["escrow:entry"]));
      const reads = new Set<string>();
      for (const file of importClosure(entry))
        for (const call of readFileSync(file, "utf8").matchAll(/loadEnv\(\s*\[([^\]]*)\]/g))
          for (const name of (call[1] as string).matchAll(/["']([A-Z0-9_]+)["']/g))
            reads.add(name[1] as string);
      const set = Object.keys(fn.Properties.Environment?.Variables ?? {});
      expect(
        [...reads].filter((name) => !set.includes(name)),
        `${fnIdOf(logicalId)} (${entry})`,
      ).toEqual([]);
      // The scan finds what each function reads; one whose spec reads nothing (the pool's trigger, the served
      // documents) reads none.
      const declared = FUNCTIONS.find((f) => f.id === fnIdOf(logicalId))?.env.length ?? 0;
      if (declared === 0) expect(reads.size, fnIdOf(logicalId)).toBe(0);
      else expect(reads.size, fnIdOf(logicalId)).toBeGreaterThan(0);
    }
  });

  it("passes cdk-nag's AwsSolutions, Serverless and PCI DSS packs", () => {
    for (const pack of packs) expect(pack.validateScope(app).violations, pack.readPackName).toEqual([]);
  });

  describe("cfn-lint", () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "escrow-cfn-lint-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("finds nothing in the template", () => {
      const file = join(dir, `${stack.stackName}.template.json`);
      writeFileSync(file, JSON.stringify(template.toJSON()));
      const run = spawnSync("cfn-lint", ["--format", "parseable", "--", file], { encoding: "utf8" });
      if (run.error)
        throw new Error(`cfn-lint is not installed: pip install cfn-lint==1.51.0 (${run.error.message})`);
      expect(`${run.stdout}${run.stderr}`.trim()).toBe("");
      expect(run.status).toBe(0);
    }, 120_000);
  });
});

function sourcesOf(dir: string): [string, string][] {
  const out: [string, string][] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true }) as Dirent[]) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts")) out.push([path, readFileSync(path, "utf8")]);
    }
  };
  walk(dir);
  return out;
}

/** The entry and every module of the repository it imports, directly or not (relative imports). */
function importClosure(entry: string): string[] {
  const seen = new Set([entry]);
  const queue = [entry];
  while (queue.length) {
    const file = queue.pop() as string;
    for (const m of readFileSync(file, "utf8").matchAll(/from\s+["'](\.{1,2}\/[^"']+)["']/g)) {
      const base = join(dirname(file), m[1] as string);
      const target = [`${base}.ts`, join(base, "index.ts"), base].find(
        (c) => existsSync(c) && c.endsWith(".ts"),
      );
      if (target && !seen.has(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  return [...seen];
}
