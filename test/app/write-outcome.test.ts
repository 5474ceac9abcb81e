import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { beforeEach, describe, expect, it } from "vitest";
import { DynamoEscrowStore } from "../../functions/adapters/dynamo-escrow-store";
import { toProblem } from "../../functions/api/problem";
import {
  createEscrow,
  getEscrow,
  performAction,
  TAKEOVER_AFTER_MS,
} from "../../functions/app/escrow-service";
import { addEvidence } from "../../functions/app/evidence";
import { load } from "../../functions/app/transact";
import { holdFunds, recordPaymentFailure } from "../../functions/app/workflow-tasks";
import { OutcomeUnknownError, writeSeeingThrough } from "../../functions/app/write-outcome";
import { decideAction } from "../../functions/domain/decide";
import { NotFoundError } from "../../functions/domain/errors";
import { apply, fold } from "../../functions/domain/escrow";
import { escrowIdFor } from "../../functions/domain/ids";
import type { EscrowRecords, EscrowStore, EvidenceStore } from "../../functions/ports/escrow-store";
import { PaymentUnavailable } from "../../functions/ports/payment-provider";
import { order } from "../support/orders";
import { withPort } from "../support/store-faults";
import { RecordingPublisher, RecordingWorkflow, TestPayments } from "./fakes";
import { createVia, keyed, useStore } from "./fixture";

/**
 * Writes whose answer is lost: what landed is read back or undone, never
 * reported as a 503 that changed nothing.
 */
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

describe("a creation whose confirmation fails", () => {
  let d: ReturnType<typeof deps>;
  let n = 0;
  beforeEach(() => {
    d = deps();
  });

  it("answers 503 when the creation cannot be confirmed: nothing started, held or readable; a retry of the key starts it", async () => {
    const unconfirmed = withPort(table.store, "escrows", {
      confirm: async () => {
        throw new Error("ServiceUnavailable");
      },
    });
    const b = order({ description: "confirmation failing" });
    const key = `unconfirmed-${++n}`;
    await expect(createEscrow({ ...d, store: unconfirmed }, "demo", b, keyed(key, b))).rejects.toMatchObject({
      kind: "unavailable",
    });
    expect(d.workflow.names).toEqual([]);
    expect(d.payments.calls).toEqual([]);
    await expect(getEscrow(d, "demo", escrowIdFor("demo", key))).rejects.toBeInstanceOf(NotFoundError);
    // Once the first attempt is over, the integrator's retry confirms and starts it; not a replay.
    clock += TAKEOVER_AFTER_MS + 1000;
    const retried = await createEscrow(d, "demo", b, keyed(key, b));
    expect(retried).toMatchObject({ statusCode: 201, replayed: false });
    expect(d.workflow.names).toEqual([retried.escrow.id]);
  });

  it("undoes a confirmation that landed unseen and cannot be read back before answering 503: nothing readable, nothing started", async () => {
    // The store takes every confirmation and answers with an error (a timeout after the write).
    const unseen = withPort(table.store, "escrows", {
      confirm: async (tenantId: string, escrowId: string) => {
        await table.store.escrows.confirm(tenantId, escrowId);
        throw new Error("ServiceUnavailable");
      },
      get: async () => {
        throw answered500();
      },
    });
    const b = order({ description: "confirmation landing unseen" });
    const key = `unseen-${++n}`;
    await expect(createEscrow({ ...d, store: unseen }, "demo", b, keyed(key, b))).rejects.toMatchObject({
      kind: "unavailable",
    });
    await expect(getEscrow(d, "demo", escrowIdFor("demo", key))).rejects.toBeInstanceOf(NotFoundError);
    expect(d.workflow.names).toEqual([]);
  });

  it("answers 500, outcome unknown, when a confirmation may have landed and cannot be undone; a retry of the key answers 201", async () => {
    const stuck = withPort(table.store, "escrows", {
      // The write lands and its answer is lost: the call times out.
      confirm: async (tenantId: string, escrowId: string) => {
        await table.store.escrows.confirm(tenantId, escrowId);
        throw Object.assign(new Error("Connection timed out after 3000 ms"), { name: "TimeoutError" });
      },
      unconfirm: async () => {
        throw answered500();
      },
      get: async () => {
        throw answered500();
      },
    });
    const b = order({ description: "confirmation stuck" });
    const key = `stuck-${++n}`;
    const refused = await createEscrow({ ...d, store: stuck }, "demo", b, keyed(key, b)).catch((e) => e);
    // Not a 503: a 503 promises nothing changed, and here the escrow may exist (it does).
    expect(refused).toBeInstanceOf(OutcomeUnknownError);
    expect(toProblem(refused)).toMatchObject({ statusCode: 500 });
    expect(JSON.parse(toProblem(refused).body)).toMatchObject({
      code: "internal_error",
      detail: expect.stringContaining("same Idempotency-Key"),
    });
    clock += TAKEOVER_AFTER_MS + 1000;
    const retried = await createEscrow(d, "demo", b, keyed(key, b));
    expect(retried).toMatchObject({ statusCode: 201, escrow: { id: escrowIdFor("demo", key) } });
    expect(d.workflow.names).toEqual([retried.escrow.id]);
  });

  it("answers 201 when a confirmation landed unseen and the read-back finds it: the escrow is carried on", async () => {
    const unseen = withPort(table.store, "escrows", {
      confirm: async (tenantId: string, escrowId: string) => {
        await table.store.escrows.confirm(tenantId, escrowId);
        throw timeout();
      },
    });
    const b = order({ description: "confirmation read back" });
    const answer = await createEscrow({ ...d, store: unseen }, "demo", b, keyed(`read-back-${++n}`, b));
    expect(answer).toMatchObject({ statusCode: 201, escrow: { status: "PENDING_FUNDS" } });
    expect(d.workflow.names).toEqual([answer.escrow.id]);
    expect(await getEscrow(d, "demo", answer.escrow.id)).toMatchObject({ status: "PENDING_FUNDS" });
  });

  it("answers 503 when the store answered every confirmation with an error, even if nothing can be undone", async () => {
    const refusing = withPort(table.store, "escrows", {
      confirm: async () => {
        throw answered500();
      },
      unconfirm: async () => {
        throw answered500();
      },
    });
    const b = order({ description: "confirmation answered with errors" });
    const key = `answered-${++n}`;
    await expect(createEscrow({ ...d, store: refusing }, "demo", b, keyed(key, b))).rejects.toMatchObject({
      kind: "unavailable",
    });
    await expect(getEscrow(d, "demo", escrowIdFor("demo", key))).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("a transition whose write loses its answer behind the SDK's retries", () => {
  const funded = async (tenant: string) => {
    const ref = await createVia(deps(), tenant);
    await holdFunds(deps(), ref);
    clock += 1000;
    return ref;
  };
  /** The escrows port takes the write, then answers `unknown`, as its adapter does after the SDK's retries. */
  const landingUnknown = () =>
    withPort(table.store, "escrows", {
      append: async (...args: Parameters<EscrowRecords["append"]>) => {
        await table.store.escrows.append(...args);
        return "unknown";
      },
    });
  const dispute = { action: "dispute" as const, actorId: "u-b", reason: "broken" };

  it("is the caller's 202 when the write it could not see landed", async () => {
    const ref = await funded("retried-condition");
    const answer = await performAction(deps(landingUnknown()), ref.tenantId, ref.escrowId, dispute);
    expect(answer).toMatchObject({ statusCode: 202, escrow: { status: "DISPUTED", version: 3 } });
  });

  it("is OutcomeUnknownError, not a 503, when the record cannot be read back", async () => {
    const ref = await funded("unreadable");
    let reads = 0;
    const lossy = landingUnknown();
    const store = withPort(lossy, "escrows", {
      get: async (...args: Parameters<EscrowRecords["get"]>) => {
        if (++reads > 1) throw answered500();
        return table.store.escrows.get(...args);
      },
    });
    await expect(performAction(deps(store), ref.tenantId, ref.escrowId, dispute)).rejects.toBeInstanceOf(
      OutcomeUnknownError,
    );
    expect((await table.store.escrows.get(ref.tenantId, ref.escrowId))?.history.at(-1)?.type).toBe(
      "disputed",
    );
  });

  describe("the escrows adapter's answer when its append fails", () => {
    /** DynamoEscrowStore's append over a client whose every call fails with `error`. */
    const appendFailing = async (tenant: string, error: Error) => {
      const ref = await funded(tenant);
      const record = await load(deps(), ref);
      const state = fold(record.terms, record.history);
      const now = new Date(clock);
      const { entry, state: next } = apply(state, decideAction(state, dispute, now), now);
      const client = new DynamoDBClient({
        region: "us-east-1",
        credentials: { accessKeyId: "x", secretAccessKey: "x" },
      });
      client.send = (async () => {
        throw error;
      }) as typeof client.send;
      return new DynamoEscrowStore(client, table.db.tableName)
        .append(record, entry, state, next)
        .catch((e) => e);
    };
    const refused = () =>
      new ConditionalCheckFailedException({ message: "refused", $metadata: { httpStatusCode: 400 } });

    it("a refused condition is a conflict; after an attempt without an answer (the SDK retried) it is unknown", async () => {
      expect(await appendFailing("adapter-conflict", refused())).toBe("conflict");
      expect(await appendFailing("adapter-spent", Object.assign(refused(), { $lostAnswer: true }))).toBe(
        "unknown",
      );
    });

    it("a call without an answer is unknown, and so is an answered error after one; an answered error is thrown", async () => {
      expect(await appendFailing("adapter-timeout", timeout())).toBe("unknown");
      expect(
        await appendFailing("adapter-lost-500", Object.assign(answered500(), { $lostAnswer: true })),
      ).toBe("unknown");
      expect(await appendFailing("adapter-500", answered500())).toMatchObject({
        name: "InternalServerError",
      });
    });
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
    const record = await table.store.escrows.get(ref.tenantId, ref.escrowId);
    expect(record?.history.at(-1)?.type).toBe("payment_failed");
    const moved = payments.book.movements.filter((m) => m.escrowId === ref.escrowId).map((m) => m.type);
    expect(moved).toEqual(["hold", "void"]);
  });
});
