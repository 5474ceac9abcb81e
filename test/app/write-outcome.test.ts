import { describe, expect, it } from "vitest";
import { performAction } from "../../functions/app/escrow-service";
import { addEvidence } from "../../functions/app/evidence";
import { holdFunds } from "../../functions/app/workflow-tasks";
import { OutcomeUnknownError, writeSeeingThrough } from "../../functions/app/write-outcome";
import type { EscrowStore, EvidenceStore } from "../../functions/ports/escrow-store";
import { withPort } from "../support/store-faults";
import { RecordingPublisher, RecordingWorkflow, TestPayments } from "./fakes";
import { createVia, useStore } from "./fixture";

/** Writes whose answer is lost: what landed is read back, never reported as a 503 that changed nothing. */
const table = useStore();
let clock = Date.parse("2026-11-25T10:00:00.000Z");
const deps = (store: EscrowStore = table.store) => ({
  store,
  payments: new TestPayments(),
  events: new RecordingPublisher(),
  workflow: new RecordingWorkflow(),
  now: () => new Date(clock),
});
const timeout = () =>
  Object.assign(new Error("Connection timed out after 3000 ms"), { name: "TimeoutError" });
const answered500 = () =>
  Object.assign(new Error("Internal server error"), {
    name: "InternalServerError",
    $metadata: { httpStatusCode: 500 },
  });

describe("writeSeeingThrough", () => {
  it("passes an answered failure on without reading back (nothing landed)", async () => {
    let reads = 0;
    const error = answered500();
    await expect(
      writeSeeingThrough(
        "w",
        () => Promise.reject(error),
        async () => {
          reads++;
          return true;
        },
      ),
    ).rejects.toBe(error);
    expect(reads).toBe(0);
  });

  it("reads back a write without an answer: landed is success, absent is the write's own error", async () => {
    expect(
      await writeSeeingThrough(
        "w",
        () => Promise.reject(timeout()),
        async () => "landed",
      ),
    ).toBe("landed");
    const lost = timeout();
    await expect(
      writeSeeingThrough(
        "w",
        () => Promise.reject(lost),
        async () => undefined,
      ),
    ).rejects.toBe(lost);
  });

  it("is OutcomeUnknownError when the write may have landed and nothing can be read", async () => {
    await expect(
      writeSeeingThrough(
        "w",
        () => Promise.reject(timeout()),
        () => Promise.reject(answered500()),
      ),
    ).rejects.toBeInstanceOf(OutcomeUnknownError);
  });
});

describe("evidence whose write loses its answer", () => {
  it("is added once and answered 201, not 503", async () => {
    const ref = await createVia(deps(), "lost-answer");
    await holdFunds(deps(), ref);
    clock += 1000;
    await performAction(deps(), ref.tenantId, ref.escrowId, {
      action: "dispute",
      actorId: "u-b",
      reason: "x",
    });
    const lossy = withPort(table.store, "evidence", {
      add: async (...args: Parameters<EvidenceStore["add"]>) => {
        await table.store.evidence.add(...args);
        throw timeout();
      },
    });
    const answer = await addEvidence(deps(lossy), ref, { actorId: "u-b", text: "photo of the crack" });
    expect(answer.statusCode).toBe(201);
    const stored = await table.store.evidence.list(ref.tenantId, ref.escrowId);
    expect(stored.map((e) => [e.id, e.text])).toEqual([[answer.evidence.id, "photo of the crack"]]);
  });
});
