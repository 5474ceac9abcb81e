import { DescribeExecutionCommand } from "@aws-sdk/client-sfn";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../support/wait";
import { checkLedger } from "./campaign";
import { order } from "./client";
import {
  api,
  BUYER,
  delivered,
  endFault,
  exclusive,
  executionArn,
  executionsOf,
  funded,
  GRACE_SECONDS,
  no500,
  RECOVERY_MS,
  SELLER,
  server,
  settles,
  sfn,
  useFaultedService,
} from "./faults-fixture";

/**
 * API.md "When dependencies fail", end to end (see faults.test.ts): faults
 * whose recovery goes through the reconciler, one at a time, and a Lambda
 * outage longer than the alert threshold.
 */
useFaultedService();

/** The local service's last lines, for a wait that timed out (its warnings say what failed). */
const serviceLog = () => `\n${server.output().slice(-4000)}`;

describe("a dependency fails, and recovers through the reconciler", () => {
  afterEach(async () => {
    await api.clearFaults();
    no500();
  });

  describe("recoveries through the reconciler (one at a time: each clears every fault after it)", () => {
    it("SNS failing for longer than any retry from hold to release: the money moves anyway, the owed events follow once it clears", {
      timeout: RECOVERY_MS + 60_000,
    }, async () => {
      const id = await exclusive(async () => {
        const fault = await api.injectFault({ target: "sns", mode: "error", seconds: 300 });
        const escrow = await funded();
        expect((await api.act(escrow.id, "delivery", { actorId: SELLER })).status).toBe(202);
        expect((await api.act(escrow.id, "confirmation", { actorId: BUYER })).status).toBe(202);
        const released = await api.waitFor(escrow.id, "RELEASED");
        expect(checkLedger(released, await api.payments(escrow.id))).toEqual([]);
        // nothing could be announced, and the reconciler cannot publish either while SNS fails
        await api.reconcile();
        expect(await api.notifications(escrow.id)).toEqual([]);
        await endFault(fault.id);
        return escrow.id as string;
      });
      const done = await settles(id, "RELEASED");
      expect(done.types).toEqual(["escrow.funded", "escrow.delivered", "escrow.released"]);
      expect(new Set(done.notes.map((n) => n.event.type))).toEqual(
        new Set(["escrow.funded", "escrow.delivered", "escrow.released"]),
      );
    });

    it("SNS failing when evidence is added: 201 all the same, and escrow.evidence_added follows once it clears, under one id", {
      timeout: RECOVERY_MS + 60_000,
    }, async () => {
      const escrow = await delivered();
      expect((await api.act(escrow.id, "dispute", { actorId: BUYER, reason: "cracked" })).status).toBe(202);
      await api.waitForEvents(escrow.id, ["escrow.funded", "escrow.delivered", "escrow.disputed"]);
      const evidenceOf = async () =>
        (await api.notifications(escrow.id)).filter((n) => n.event.type === "escrow.evidence_added");
      const item = await exclusive(async () => {
        const fault = await api.injectFault({
          target: "sns",
          operation: "Publish",
          mode: "error",
          seconds: 300,
        });
        const res = await api.call("POST", `/v1/escrows/${escrow.id}/evidence`, {
          body: { actorId: BUYER, text: "Cracked on arrival." },
        });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        // The API did not wait on SNS, and the reconciler cannot publish either while it fails.
        await api.reconcile();
        expect(await evidenceOf()).toEqual([]);
        await endFault(fault.id);
        return res.body;
      });
      // The item's mark comes due (a minute on): the reconciler's next run publishes the event it owes
      // (run here rather than waited for: when the local timer wakes it is the timer's own test's concern).
      await api.advanceClock(GRACE_SECONDS + 1);
      await api.reconcile();
      const notes = await waitFor(async () => ((await evidenceOf()).length > 0 ? evidenceOf() : false), {
        timeoutMs: RECOVERY_MS,
        intervalMs: 500,
        what: "escrow.evidence_added once SNS recovered",
        describe: serviceLog,
      });
      expect(new Set(notes.map((n) => n.event.id)).size).toBe(1);
      expect(notes[0]?.event).toMatchObject({
        evidence: item,
        escrow: { id: escrow.id, status: "DISPUTED" },
      });
      const listed = await api.call("GET", `/v1/escrows/${escrow.id}/evidence`);
      expect(listed.body.items).toEqual([item]);
    });

    it("StartExecution refused at creation: 201, and the escrow is funded through the reconciler once it clears", {
      timeout: RECOVERY_MS + 60_000,
    }, async () => {
      const id = await exclusive(async () => {
        const fault = await api.injectFault({
          target: "stepfunctions",
          operation: "StartExecution",
          mode: "error",
          seconds: 300,
        });
        const created = await api.create(order());
        expect(created.status, JSON.stringify(created.body)).toBe(201);
        expect(created.body).toMatchObject({ status: "PENDING_FUNDS", version: 1 });
        await expect(
          sfn.send(new DescribeExecutionCommand({ executionArn: executionArn(created.body.id) })),
        ).rejects.toMatchObject({ name: "ExecutionDoesNotExist" });
        await api.reconcile();
        expect((await api.get(created.body.id)).body.status).toBe("PENDING_FUNDS");
        await endFault(fault.id);
        return created.body.id as string;
      });
      const done = await settles(id, "FUNDED");
      expect(done.ledger.map((m) => m.type)).toEqual(["hold"]);
      expect(done.types).toEqual(["escrow.funded"]);
      expect((await executionsOf(id)).map((e) => e.name)).toContain(id);
    });
  });

  it("Lambda failing for longer than 15 minutes: the step is retried, never left; ops are told once, and again when it recovers; money moved once", async () => {
    const escrow = await delivered();
    await api.injectFault({ target: "lambda", mode: "error", seconds: 300 });
    expect((await api.act(escrow.id, "confirmation", { actorId: BUYER })).status).toBe(202);
    // Twenty minutes pass on the service's clock while ReleaseToSeller keeps failing (ops are told once the
    // step has not moved for 15; the reconciler looks once a period).
    await api.advanceClock(20 * 60);
    const alerts = async () =>
      (
        (await (
          await fetch(`${server.url}/_local/notifications?escrowId=${escrow.id}&topic=ops`)
        ).json()) as {
          items: { event: { id: string; type: string; escrowId: string } }[];
        }
      ).items.map((i) => i.event);
    expect((await alerts()).map((a) => a.type)).toEqual(["escrow.dependency_failing"]);
    // Still one running execution, still retrying, and nothing for ops to do (no needsOpsAttention).
    expect(
      (await sfn.send(new DescribeExecutionCommand({ executionArn: executionArn(escrow.id) }))).status,
    ).toBe("RUNNING");
    expect((await api.get(escrow.id)).body).toMatchObject({
      status: "DELIVERED",
      pendingAction: "confirmation",
      needsOpsAttention: false,
    });
    await api.advanceClock(5 * 60);
    expect(await alerts()).toHaveLength(1);

    await api.clearFaults();
    const released = await settles(escrow.id, "RELEASED");
    expect(released.ledger.map((m) => m.type).sort()).toEqual(["fee", "hold", "payout"]);
    expect(released.types).toEqual(["escrow.funded", "escrow.delivered", "escrow.released"]);
    // The step moved: the reconciler's next run tells ops it recovered (run here, not waited for).
    await api.reconcile();
    await waitFor(async () => (await alerts()).length === 2, {
      timeoutMs: RECOVERY_MS,
      intervalMs: 250,
      what: "escrow.dependency_recovered",
      describe: serviceLog,
    });
    const [failing, recovered] = await alerts();
    expect(recovered?.type).toBe("escrow.dependency_recovered");
    expect(recovered?.id).not.toBe(failing?.id);
    // The one execution carried it through: no restart.
    expect(await executionsOf(escrow.id)).toEqual([{ name: escrow.id, status: "SUCCEEDED" }]);
  }, 90_000); // twenty minutes of the service's clock, each step of it a task retried on a loaded machine
});
