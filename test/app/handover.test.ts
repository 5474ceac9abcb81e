import { describe, expect, it } from "vitest";
import { performAction } from "../../functions/app/escrow-service";
import { HANDOVER, issueHandoverCode } from "../../functions/app/handover";
import { holdFunds } from "../../functions/app/workflow-tasks";
import { withPort } from "../support/store-faults";
import { RecordingWorkflow, TestPayments } from "./fakes";
import { createVia, useStore } from "./fixture";

/**
 * Handover codes on the service's clock: expiry after 10 minutes, single use,
 * and what is stored (a salted hash, never the code).
 */
const fixture = useStore();
let clock = Date.parse("2026-11-25T10:00:00.000Z");
const deps = () => ({
  store: fixture.store,
  payments: new TestPayments(),
  workflow: new RecordingWorkflow(),
  now: () => new Date(clock),
});

async function funded() {
  const ref = await createVia(deps(), "demo");
  await holdFunds(deps(), ref);
  return ref;
}
const deliver = (ref: { escrowId: string }, handoverCode: string) =>
  performAction(deps(), "demo", ref.escrowId, { action: "delivery", actorId: "u-s", handoverCode });

describe("a handover code", () => {
  it("expires after 10 minutes", async () => {
    const ref = await funded();
    const { code, expiresAt } = await issueHandoverCode(deps(), ref, "u-b");
    expect(Date.parse(expiresAt) - clock).toBe(HANDOVER.validSeconds * 1000);
    clock += HANDOVER.validSeconds * 1000;
    await expect(deliver(ref, code)).rejects.toMatchObject({ kind: "handover_code_invalid" });
    clock -= 1000;
    await expect(deliver(ref, code)).resolves.toMatchObject({ statusCode: 202 });
    clock += 1000;
  });

  it("is stored only as a salted hash, and works once", async () => {
    const ref = await funded();
    const { code } = await issueHandoverCode(deps(), ref, "u-b");
    const stored = await fixture.store.handover.get("demo", ref.escrowId);
    expect(JSON.stringify(stored)).not.toContain(code);
    expect(stored).toMatchObject({
      wrong: 0,
      used: false,
      salt: expect.any(String),
      hash: expect.any(String),
    });
    // Two codes issued for two escrows never share a hash, even for the same digits (salted).
    const other = await funded();
    await issueHandoverCode(deps(), other, "u-b");
    expect((await fixture.store.handover.get("demo", other.escrowId))?.salt).not.toBe(stored?.salt);

    await deliver(ref, code);
    expect(await fixture.store.handover.get("demo", ref.escrowId)).toMatchObject({ used: true });
  });

  it("of two deliveries racing with one code, exactly one wins", async () => {
    const ref = await funded();
    const { code } = await issueHandoverCode(deps(), ref, "u-b");
    const results = await Promise.allSettled([deliver(ref, code), deliver(ref, code), deliver(ref, code)]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results)
      if (r.status === "rejected")
        expect(["handover_code_invalid", "invalid_transition"]).toContain(r.reason.kind);
  });
});

describe("a delivery that did not go through leaves its code valid (API.md v1.2; issue #16, finding 5)", () => {
  it("after a 503 (the store failed to record the delivery), the same code works on the retry", async () => {
    const ref = await funded();
    const { code } = await issueHandoverCode(deps(), ref, "u-b");
    const failing = withPort(fixture.store, "escrows", {
      append: async () => {
        throw Object.assign(new Error("Service unavailable"), {
          name: "ServiceUnavailable",
          $fault: "server",
        });
      },
    });
    await expect(
      performAction({ ...deps(), store: failing }, "demo", ref.escrowId, {
        action: "delivery",
        actorId: "u-s",
        handoverCode: code,
      }),
    ).rejects.toThrow();
    expect(await fixture.store.handover.get("demo", ref.escrowId)).toMatchObject({ used: false, wrong: 0 });
    await expect(deliver(ref, code)).resolves.toMatchObject({ statusCode: 202 });
    expect(await fixture.store.handover.get("demo", ref.escrowId)).toMatchObject({ used: true });
  });

  it("after a 409 (a cancellation won the race), the code is neither used nor counted wrong", async () => {
    const ref = await funded();
    const { code } = await issueHandoverCode(deps(), ref, "u-b");
    await performAction(deps(), "demo", ref.escrowId, { action: "cancellation", actorId: "u-b" });
    await expect(deliver(ref, code)).rejects.toMatchObject({ kind: "invalid_transition" });
    expect(await fixture.store.handover.get("demo", ref.escrowId)).toMatchObject({ used: false, wrong: 0 });
  });
});
