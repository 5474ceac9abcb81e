import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import type { StepOutcome } from "../../functions/domain/workflow-step";
import { PERMANENT_ERRORS, RETRY_FOREVER } from "../../infra/workflow/asl-builder";
import { ESCROW_DEFINITION } from "../../infra/workflow/escrow-definition";
import { ASL_FILE, renderAsl } from "../../infra/workflow/render-asl";
import * as ROUTES from "../../infra/workflow/routes";
import { routesOf } from "../../infra/workflow/routes";

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
    // Every outcome, common or a kind's own (a new one fails to compile until it is listed here).
    const outcomes: Record<StepOutcome, true> = {
      created: true,
      funded: true,
      cancelled: true,
      delivered: true,
      extended: true,
      evidence_requested: true,
      refund_requested: true,
      disputed: true,
      release: true,
      refund: true,
      split: true,
      refund_unresolved: true,
      released: true,
      refunded: true,
      settled: true,
      escalated: true,
      partial: true,
      partially_settled: true,
      parked: true,
      superseded: true,
      lease_funded: true,
      moved_out: true,
      lease_renewed: true,
      deductions_claimed: true,
      reserved: true,
      balance: true,
    };
    const routed = (name: string) =>
      new Map(
        ((states[name]?.Choices ?? []) as { StringEquals: string; Next: string }[]).map((c) => [
          c.StringEquals,
          c.Next,
        ]),
      );
    const resume = routed("ResumeFromRecord");
    const unrouted = Object.keys(outcomes).filter((o) => !resume.has(o));
    expect(unrouted.sort()).toEqual(["created", "parked"]);
    const choices = Object.entries(states).filter(([, s]) => s.Type === "Choice");
    expect(choices.length).toBe(10);
    for (const [name] of choices) {
      expect(routed(name).get("superseded"), name).toBe("Superseded");
      // Nothing routes an outcome that does not exist.
      for (const outcome of routed(name).keys()) expect(Object.keys(outcomes), name).toContain(outcome);
    }
  });

  it("composes a Choice from the shared table and the kinds': an outcome routed twice from one Choice is refused", () => {
    const kind = (step: string, state: string) => ({ [step]: { RouteAfterHold: state } });
    expect(routesOf("RouteAfterHold", [ROUTES.SHARED_ROUTES, kind("a", "A"), kind("b", "B")])).toEqual({
      funded: "AwaitDelivery",
      superseded: "Superseded",
      a: "A",
      b: "B",
    });
    expect(() => routesOf("RouteAfterHold", [kind("a", "A"), kind("a", "B")])).toThrow(
      "RouteAfterHold: the step a is routed twice",
    );
    expect(() => routesOf("RouteAfterHold", [ROUTES.SHARED_ROUTES, kind("funded", "A")])).toThrow(
      "the step funded is routed twice",
    );
    expect(ROUTES.unrouted("created parked")).toEqual({ created: {}, parked: {} });
  });
});
