import { describe, expect, it } from "vitest";
import { performAction } from "../../functions/app/escrow-service";
import { beginWait, holdFunds } from "../../functions/app/workflow-tasks";
import { RecordingPublisher, RecordingWorkflow, TestPayments } from "./fakes";
import { createVia, useStore } from "./fixture";

/**
 * A wait task whose Lambda timed out may still land its write after the retry's (a request in
 * flight): the wait item keeps the token of the attempt that began last, so the action's signal
 * reaches the live wait (found by the simulation, seed 31: an escrow signalled a dead token for
 * hours while its execution waited on the live one).
 */
const table = useStore();
const t0 = Date.parse("2026-11-25T10:00:00.000Z");
const workflow = new RecordingWorkflow();
const at = (ms: number) => ({
  store: table.store,
  payments: new TestPayments(),
  events: new RecordingPublisher(),
  workflow,
  now: () => new Date(ms),
});

describe("a wait's token", () => {
  it("is the one of the attempt that began last, whichever write lands last", async () => {
    const ref = await createVia(at(t0), "zombie");
    await holdFunds(at(t0), ref);
    const wait = { ...ref, seenVersion: 2, execution: ref.escrowId };
    // The retry (began 31 s after the first attempt, which timed out) writes first...
    await beginWait(at(t0 + 31_000), { ...wait, taskToken: "t-retry" });
    // ...then the first attempt's write, in flight when its Lambda timed out, lands.
    await beginWait(at(t0), { ...wait, taskToken: "t-timed-out" });
    expect(await table.store.waits.get(ref.tenantId, ref.escrowId)).toMatchObject({ token: "t-retry" });

    await performAction(at(t0 + 60_000), ref.tenantId, ref.escrowId, {
      action: "delivery",
      actorId: "u-s",
      carrier: "SF",
      trackingNumber: "SF1",
    });
    expect(workflow.signals.map((s) => s.token)).toEqual(["t-retry"]);
  });

  it("is still replaced by a later attempt at the same version, whatever small difference the clocks have", async () => {
    const ref = await createVia(at(t0), "later");
    await holdFunds(at(t0), ref);
    const wait = { ...ref, seenVersion: 2, execution: ref.escrowId };
    await beginWait(at(t0), { ...wait, taskToken: "t-1" });
    await beginWait(at(t0 + 5_000), { ...wait, taskToken: "t-2" });
    expect(await table.store.waits.get(ref.tenantId, ref.escrowId)).toMatchObject({ token: "t-2" });
    // A retry right after a crash, on a host whose clock is half a second behind, still replaces it.
    await beginWait(at(t0 + 4_500), { ...wait, taskToken: "t-3" });
    expect(await table.store.waits.get(ref.tenantId, ref.escrowId)).toMatchObject({ token: "t-3" });
  });
});

describe("a parked wait's continuation", () => {
  const parkedAt = async (tenant: string, sinceMs: number, status: "RUNNING" | "SUCCEEDED") => {
    const ref = await createVia(at(t0), tenant);
    await holdFunds(at(t0), ref);
    await table.store.waits.put(ref.tenantId, ref.escrowId, {
      token: null,
      seenVersion: 2,
      since: new Date(sinceMs).toISOString(),
      execution: ref.escrowId,
      parked: true,
      published: 2,
    });
    const started = workflow.started.length;
    const first = workflow.executions.get(ref.escrowId);
    if (first) first.status = status;
    await performAction(at(t0 + 60_000), ref.tenantId, ref.escrowId, { action: "delivery", actorId: "u-s" });
    return workflow.started.slice(started).map((s) => s.name);
  };

  it("is not started beside the execution that parked it a moment ago and still runs (an escalation ending)", async () => {
    expect(await parkedAt("parked-running", t0 + 59_000, "RUNNING")).toEqual([]);
  });

  it("is started once that execution has ended, or when the wait was parked long ago (no look needed)", async () => {
    const ended = await parkedAt("parked-ended", t0 + 59_000, "SUCCEEDED");
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatch(/-p2$/);
    const described = workflow.described.length;
    const old = await parkedAt("parked-long-ago", t0 - 3_600_000, "RUNNING");
    expect(old).toHaveLength(1);
    expect(workflow.described.length).toBe(described);
  });
});
