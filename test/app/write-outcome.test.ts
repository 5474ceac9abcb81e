import { describe, expect, it } from "vitest";
import { performAction } from "../../functions/app/escrow-service";
import { addEvidence } from "../../functions/app/evidence";
import { holdFunds, recordPaymentFailure } from "../../functions/app/workflow-tasks";
import { OutcomeUnknownError, writeSeeingThrough } from "../../functions/app/write-outcome";
import { ConcurrentUpdateError } from "../../functions/domain/errors";
import type { EscrowStore } from "../../functions/ports/escrow-store";
import { PaymentUnavailable } from "../../functions/ports/payment-provider";
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
    const lossy = Object.assign(Object.create(table.store) as EscrowStore, {
      addEvidence: async (...args: Parameters<EscrowStore["addEvidence"]>) => {
        await table.store.addEvidence(...args);
        throw timeout();
      },
    });
    const answer = await addEvidence(deps(lossy), ref, { actorId: "u-b", text: "photo of the crack" });
    expect(answer.statusCode).toBe(201);
    const stored = await table.store.listEvidence(ref.tenantId, ref.escrowId);
    expect(stored.map((e) => [e.id, e.text])).toEqual([[answer.evidence.id, "photo of the crack"]]);
  });
});

describe("a transition whose write loses its answer behind the SDK's retries", () => {
  const funded = async (tenant: string) => {
    const ref = await createVia(deps(), tenant);
    await holdFunds(deps(), ref);
    clock += 1000;
    return ref;
  };
  /** The store takes the write, then answers as the SDK does after retrying it. */
  const landingThen = (error: () => Error) =>
    Object.assign(Object.create(table.store) as EscrowStore, {
      append: async (...args: Parameters<EscrowStore["append"]>) => {
        await table.store.append(...args);
        throw error();
      },
    });
  const dispute = { action: "dispute" as const, actorId: "u-b", reason: "broken" };

  it("is the caller's 202 when the SDK's retry found the condition spent by its own first attempt", async () => {
    const ref = await funded("retried-condition");
    const store = landingThen(() => new ConcurrentUpdateError(undefined, true));
    const answer = await performAction(deps(store), ref.tenantId, ref.escrowId, dispute);
    expect(answer).toMatchObject({ statusCode: 202, escrow: { status: "DISPUTED", version: 3 } });
  });

  it("is the caller's 202 when the SDK's last attempt was answered with an error after an earlier one landed", async () => {
    const ref = await funded("retried-error");
    const store = landingThen(() => Object.assign(answered500(), { $lostAnswer: true }));
    const answer = await performAction(deps(store), ref.tenantId, ref.escrowId, dispute);
    expect(answer).toMatchObject({ statusCode: 202, escrow: { status: "DISPUTED", version: 3 } });
  });

  it("is OutcomeUnknownError, not a 503, when the record cannot be read back", async () => {
    const ref = await funded("unreadable");
    let reads = 0;
    const store = Object.assign(landingThen(timeout), {
      get: async (...args: Parameters<EscrowStore["get"]>) => {
        if (++reads > 1) throw answered500();
        return table.store.get(...args);
      },
    });
    await expect(performAction(deps(store), ref.tenantId, ref.escrowId, dispute)).rejects.toBeInstanceOf(
      OutcomeUnknownError,
    );
    expect((await table.store.get(ref.tenantId, ref.escrowId))?.history.at(-1)?.type).toBe("disputed");
  });
});

describe("a hold let go of after the provider did not answer", () => {
  it("is not taken again by a restarted execution: the escrow is cancelled, the provider holds nothing", async () => {
    const payments = new TestPayments();
    const d = { ...deps(), payments };
    const ref = await createVia(d, "voided-hold");
    // The hold lands unseen; after its retries the workflow lets it go, and that void lands unseen too.
    payments.faultSwitch.set("payments", "hold", "ambiguous");
    await expect(holdFunds(d, ref)).rejects.toThrow(PaymentUnavailable);
    payments.faultSwitch.set("payments", "void", "ambiguous");
    await expect(recordPaymentFailure(d, { ...ref, error: "PaymentUnavailable" })).rejects.toThrow();
    payments.faultSwitch.clear();
    // The execution is aborted there; its restart begins again from the record (PENDING_FUNDS).
    await expect(holdFunds(d, ref)).rejects.toThrow(PaymentUnavailable);
    await recordPaymentFailure(d, { ...ref, error: "PaymentUnavailable" });
    const record = await table.store.get(ref.tenantId, ref.escrowId);
    expect(record?.history.at(-1)?.type).toBe("payment_failed");
    const moved = payments.book.movements.filter((m) => m.escrowId === ref.escrowId).map((m) => m.type);
    expect(moved).toEqual(["hold", "void"]);
  });
});
