import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildOpenApi } from "../../infra/openapi";

/**
 * The generated OpenAPI document passes Redocly's `recommended` rules with no
 * error and no warning, linted as an integrator's tooling would lint it: the
 * Redocly CLI on the file `npm run openapi` writes.
 */
const REDOCLY = join(new URL("../../node_modules/.bin", import.meta.url).pathname, "redocly");

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: Array<{
    ruleId: string;
    severity: string;
    message: string;
    location: Array<{ pointer: string }>;
  }>;
}

describe("the OpenAPI document under Redocly's recommended rules", () => {
  it("has no error and no warning", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "escrow-openapi-")), "openapi.json");
    writeFileSync(file, `${JSON.stringify(await buildOpenApi(), null, 2)}\n`);
    const run = spawnSync(REDOCLY, ["lint", file, "--extends", "recommended", "--format", "json"], {
      encoding: "utf8",
      env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
      timeout: 60_000,
    });
    expect(run.error).toBeUndefined();
    const report = JSON.parse(run.stdout) as LintReport;
    const found = report.problems.map(
      (p) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`,
    );
    expect(found).toEqual([]);
    expect(report.totals).toEqual({ errors: 0, warnings: 0, ignored: 0 });
    expect(run.status).toBe(0);
  });
});
