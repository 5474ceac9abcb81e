import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Validations } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { Topic } from "aws-cdk-lib/aws-sns";
import type { IConstruct } from "constructs";
import { describe, expect, it } from "vitest";
import { createEscrowApp, REPO_ROOT } from "../../infra/escrow-stack";
import { synthEscrow } from "./synth";

const noBundling = { "aws:cdk:bundling-stacks": [] };

function allConstructs(root: IConstruct): IConstruct[] {
  return [root, ...root.node.children.flatMap(allConstructs)];
}

describe("cdk-nag", () => {
  const { app, stack, packs } = synthEscrow();

  it("registers the AwsSolutions, Serverless and PCI DSS 3.2.1 packs", () => {
    expect(packs.map((p) => p.readPackName).sort()).toEqual(["AwsSolutions", "PCI.DSS.321", "Serverless"]);
  });

  it("finds nothing unacknowledged in the stack", () => {
    for (const pack of packs) {
      const report = pack.validateScope(app);
      expect(
        report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath)}`),
        pack.readPackName,
      ).toEqual([]);
    }
  });

  it("acknowledges narrowly: on resources, never on the app or the stack, each with a reason", () => {
    const acknowledged = allConstructs(app).flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) =>
          Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ c, id, reason })),
        ),
    );
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const { c, id, reason } of acknowledged) {
      expect(c === app || c === stack, `${id} on ${c.node.path}`).toBe(false);
      expect(reason.length, `${id} on ${c.node.path}`).toBeGreaterThan(60);
    }
  });

  it("fails the synth on a finding nobody acknowledged", () => {
    const built = createEscrowApp({ context: noBundling });
    new Topic(built.stack, "UnencryptedTopic"); // AwsSolutions-SNS2/SNS3, PCI SNSEncryptedKMS
    expect(() => Template.fromStack(built.stack)).toThrow(/SNS/);
  });

  it("writes validation-report.json into the cloud assembly, which git ignores", () => {
    const outdir = mkdtempSync(join(tmpdir(), "escrow-synth-"));
    const built = createEscrowApp({ outdir, context: noBundling });
    built.app.synth();
    expect(existsSync(join(outdir, "validation-report.json"))).toBe(true);
    const ignored = readFileSync(join(REPO_ROOT, ".gitignore"), "utf8").split("\n");
    expect(ignored).toEqual(expect.arrayContaining(["cdk.out/", "validation-report.json"]));
  });
});
