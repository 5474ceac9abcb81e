import { App } from "aws-cdk-lib";
import type { CfnFunction } from "aws-cdk-lib/aws-lambda";
import { describe, expect, it } from "vitest";
import { createEscrow, getEscrow } from "../../functions/app/escrow-service";
import { cellForCreation, cellForEscrow, cellOfEscrowId, HOME_CELL } from "../../functions/domain/cells";
import { ESCROW_ID } from "../../functions/domain/escrow-id";
import { escrowIdFor } from "../../functions/domain/ids";
import { settingsFromContext } from "../../infra/constructs/settings";
import { createEscrowApp } from "../../infra/escrow-stack";
import { order } from "../support/orders";
import { RecordingWorkflow, TestPayments } from "./fakes";
import { keyed, useStore } from "./fixture";

/**
 * The cell router (issue #21): an escrow id carries the cell that made it, so
 * every request about it goes to that cell without a lookup; ids issued before
 * cells still parse and go to the home cell; a creation goes to one cell,
 * the same one for every retry of its key.
 */
const CELLS = ["c1", "c2", "c3", "c4"];
const dynalite = useStore();

describe("escrow ids route to the cell that made them", () => {
  it("an escrow created by each cell's service has an id naming that cell, and is read back there", async () => {
    for (const cellId of [...CELLS, null]) {
      const deps = {
        store: dynalite.store,
        workflow: new RecordingWorkflow(),
        payments: new TestPayments(),
        now: () => new Date("2026-12-01T00:00:00Z"),
        cellId,
      };
      const body = order({ buyerId: "u-b", sellerId: "u-s" });
      const { escrow } = await createEscrow(deps, "demo", body, keyed(`cell-${cellId}`, body));
      expect(ESCROW_ID.test(escrow.id), escrow.id).toBe(true);
      expect(cellForEscrow(escrow.id)).toBe(cellId ?? HOME_CELL);
      expect((await getEscrow(deps, "demo", escrow.id)).id).toBe(escrow.id);
    }
  });

  it("ids issued before cells (esc_ and 26 digits) still parse, and go to the home cell", () => {
    const old = "esc_0123456789ABCDEFGHJKMNPQRS";
    expect(ESCROW_ID.test(old)).toBe(true);
    expect(cellOfEscrowId(old)).toBe(HOME_CELL);
    // The home cell still makes them: a stack deployed without a cell id issues the same ids as before.
    expect(escrowIdFor("demo", "order-1")).toBe(escrowIdFor("demo", "order-1", null));
    expect(escrowIdFor("demo", "order-1")).toMatch(/^esc_[0-9A-Z]{26}$/);
  });

  it("refuses what is no escrow id, and a cell id that would not fit one", () => {
    for (const bad of [
      "esc_C1_0123456789ABCDEFGHJKMNPQRS",
      "esc_c1_0123",
      "evt_0123456789ABCDEFGHJKMNPQRS",
      "esc__0123456789ABCDEFGHJKMNPQRS",
    ]) {
      expect(ESCROW_ID.test(bad), bad).toBe(false);
      expect(cellOfEscrowId(bad), bad).toBeNull();
    }
    expect(() => escrowIdFor("demo", "k", "Cell-2")).toThrow(/cell id/);
  });

  it("a creation goes to one cell, the same for every retry of its key; a fifth cell takes about a fifth of new keys", () => {
    const keys = Array.from({ length: 2000 }, (_, i) => `order-${i}`);
    const before = keys.map((k) => cellForCreation("demo", k, CELLS));
    expect(keys.map((k) => cellForCreation("demo", k, CELLS))).toEqual(before);
    for (const cell of CELLS) expect(before.filter((c) => c === cell).length).toBeGreaterThan(400);
    const after = keys.map((k) => cellForCreation("demo", k, [...CELLS, "c5"]));
    const moved = after.filter((c, i) => c !== before[i]);
    // Only to the new cell: no key moves between the cells that were there.
    expect(new Set(moved)).toEqual(new Set(["c5"]));
    expect(moved.length).toBeGreaterThan(300);
    expect(moved.length).toBeLessThan(500);
  });
});

describe("a cell is the same app deployed with a cell id", () => {
  it("cdk synth -c cellId=c2 names the stack Escrow-c2 and its creations' ids carry c2; without it, the home cell", () => {
    const { stack } = createEscrowApp({ context: { "aws:cdk:bundling-stacks": [], cellId: "c2" } });
    expect(stack.stackName).toBe("Escrow-c2");
    const create = stack.functions.find(({ spec }) => spec.id === "CreateEscrow")?.construct.fn;
    const cfn = create?.node.defaultChild as CfnFunction;
    const env = stack.resolve(cfn.environment) as { variables?: Record<string, unknown> };
    expect(env.variables?.CELL_ID).toBe("c2");
    expect(createEscrowApp({ context: { "aws:cdk:bundling-stacks": [] } }).stack.stackName).toBe("Escrow");
    expect(() => settingsFromContext(new App({ context: { cellId: "Cell-2" } }).node)).toThrow(/cellId/);
  });
});
