import { describe, expect, it } from "vitest";
import type { AttentionReason, EscrowState } from "../../functions/domain/types";
import { opsDecision } from "./world/moves";

/**
 * The simulation's ops desk takes the decision the ops console offers: a
 * dispute nobody has decided is resolved; an escrow whose workflow kept
 * failing is resumed (its outcome is decided already, or it is no dispute and
 * cannot be resolved). Before, ops only ever resolved, so an escalated escrow
 * with a pending outcome waited for ops for good (seed 40 at 100,000 steps).
 */
const needing = (status: EscrowState["status"], reason: AttentionReason, pending: boolean) =>
  ({
    status,
    attention: { reason, detail: "d", at: "2030-08-10T10:47:02.040Z" },
    pending: pending ? { outcome: "split" } : null,
  }) as unknown as EscrowState;

describe("the simulation's ops desk", () => {
  it.each([
    ["DISPUTED", "workflow_failing", true, "ResumeEscrow"],
    ["FUNDED", "workflow_failing", false, "ResumeEscrow"],
    ["DELIVERED", "unexpected_step", true, "ResumeEscrow"],
    ["DISPUTED", "workflow_failing", false, "ResolveEscrow"],
    ["DISPUTED", "payout_rejected", true, "ResolveEscrow"],
  ] as const)("%s needing ops (%s, outcome pending: %s): %s", (status, reason, pending, decision) => {
    expect(opsDecision(needing(status, reason, pending))).toBe(decision);
  });
});
