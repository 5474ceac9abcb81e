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
