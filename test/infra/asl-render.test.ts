import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import type { StepOutcome } from "../../functions/domain/workflow-step";
import { PERMANENT_ERRORS, RETRY_FOREVER } from "../../infra/workflow/asl-builder";
import { ESCROW_DEFINITION } from "../../infra/workflow/escrow-definition";
import { ASL_FILE, renderAsl } from "../../infra/workflow/render-asl";
import * as ROUTES from "../../infra/workflow/routes";

/**
 * The workflow is rendered from typed code (ARCHITECTURE.md v1.2 decision 6):
 * statemachines/escrow.asl.json is what CDK loads and ops read, and must be
 * exactly the render of infra/workflow/escrow-definition.ts (`npm run asl`).
 */
const aslValidator = createRequire(import.meta.url)("asl-validator") as (
  definition: unknown,
  options?: Record<string, boolean>,
) => { isValid: boolean; errorsText: (sep?: string) => string };

type Task = { Type: string; Retry?: { ErrorEquals: string[]; MaxAttempts: number }[]; Catch?: unknown[] };
const states = ESCROW_DEFINITION.States as Record<string, Task & Record<string, unknown>>;

describe("the rendered workflow", () => {
  it("is the committed statemachines/escrow.asl.json, byte for byte (run `npm run asl` after a change)", () => {
    expect(readFileSync(ASL_FILE, "utf8")).toBe(renderAsl());
  });

  it("is valid Amazon States Language (asl-validator; the ARNs are CDK substitutions until synth)", () => {
    const result = aslValidator(JSON.parse(renderAsl()), { checkArn: false, checkPaths: true });
    expect(result.errorsText("\n")).toBe("");
    expect(result.isValid).toBe(true);
  });

  it("has one retry policy: permanent errors routed at once, everything else retried forever with capped back-off", () => {
    const tasks = Object.entries(states).filter(([, s]) => s.Type === "Task");
    expect(tasks.length).toBeGreaterThan(20);
    for (const [name, task] of tasks) {
      const retry = task.Retry ?? [];
      expect(retry.at(-1), name).toEqual(RETRY_FOREVER);
      if (name !== "EscalateToOps")
        expect(retry[0], name).toEqual({ ErrorEquals: PERMANENT_ERRORS, MaxAttempts: 0 });
    }
    // Only the hold gives up on an unavailable provider (nothing is held yet: API.md's payment_unavailable).
    const bounded = tasks.filter(([, t]) =>
      (t.Retry ?? []).some((r) => r.ErrorEquals.includes("PaymentUnavailable")),
    );
    expect(bounded.map(([name]) => name).sort()).toEqual(["HoldBalance", "HoldFunds"]);
    expect(RETRY_FOREVER).toMatchObject({ MaxAttempts: 99_999_999, MaxDelaySeconds: 300 });
  });

  it("fails no execution on purpose: there is no Fail state, and every task catches what it does not retry", () => {
    expect(Object.values(states).filter((s) => s.Type === "Fail")).toEqual([]);
    for (const [name, s] of Object.entries(states))
      if (s.Type === "Task" && name !== "EscalateToOps")
        expect(JSON.stringify(s.Catch), name).toContain('"States.ALL"');
  });

  it("routes every step outcome a continuation can resume at, and ends a superseded execution everywhere", () => {
    const unrouted = (Object.entries(ROUTES.RESUME_FROM_RECORD) as [StepOutcome, string][])
      .filter(([, next]) => next === "UnexpectedStep")
      .map(([outcome]) => outcome);
    expect(unrouted.sort()).toEqual(["created", "parked"]);
    for (const [name, routes] of Object.entries(ROUTES)) expect(routes.superseded, name).toBe("Superseded");
  });
});
