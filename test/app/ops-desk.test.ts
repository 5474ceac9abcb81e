import { describe, expect, it } from "vitest";
import { listHistory, performAction } from "../../functions/app/escrow-service";
import { addEvidence } from "../../functions/app/evidence";
import { addNote, assign, previewResolutionOf } from "../../functions/app/ops-desk";
import { getOpsEscrow, listOpsEscrows } from "../../functions/app/ops-view";
import { escalateToOps, holdFunds, settle } from "../../functions/app/workflow-tasks";
import { IdempotencyKeyReusedError, ValidationError } from "../../functions/domain/errors";
import { MAX_NOTES } from "../../functions/domain/ops-desk";
import { PayoutRejected } from "../../functions/ports/payment-provider";
import { RecordingPublisher, RecordingWorkflow, TestPayments } from "./fakes";
import { createVia, keyed, useStore } from "./fixture";
import { AWS_CONSOLE, KnownExecutions, opsParts } from "./ops-fixture";

/**
 * The ops desk (API.md v1.2): notes, assignment, previews, resume and the
 * ops view with its execution, over the real store on dynalite.
 */
const table = useStore();
const payments = new TestPayments();
const events = new RecordingPublisher();
const workflow = new RecordingWorkflow();
const executions = new KnownExecutions();
let clock = Date.parse("2026-11-25T10:00:00.000Z");
const deps = () => ({ store: table.store, payments, events, workflow, now: () => new Date(clock) });
const ops = () => ({ ...deps(), ...opsParts(table.db, executions) });
const ALICE = { id: "sub-alice", name: "ops-alice" };
const BOB = { id: "sub-bob", name: "ops-bob" };

async function disputed(tenantId = "desk") {
  const ref = await createVia(deps(), tenantId);
  await holdFunds(deps(), ref);
  clock += 1000;
  await performAction(deps(), tenantId, ref.escrowId, {
    action: "dispute",
    actorId: "u-b",
    reason: "broken",
  });
  clock += 1000;
  return ref;
}

describe("notes", () => {
  it("are kept beside the escrow, oldest first, and never move its version", async () => {
    const ref = await disputed();
    const before = (await getOpsEscrow(ops(), ref.tenantId, ref.escrowId)).version;
    const first = await addNote(ops(), ref, ALICE, "Called the seller.");
    clock += 1000;
    await addNote(ops(), ref, BOB, "Courier confirms damage.");
    expect(first).toMatchObject({
      statusCode: 201,
      replayed: false,
      note: { text: "Called the seller.", by: ALICE },
    });
    expect(first.note.id).toMatch(/^note_[0-9a-f]{24}$/);
    const view = await getOpsEscrow(ops(), ref.tenantId, ref.escrowId);
    expect(view.ops.notes.map((n) => [n.text, n.by.name])).toEqual([
      ["Called the seller.", "ops-alice"],
      ["Courier confirms damage.", "ops-bob"],
    ]);
    expect(view.version).toBe(before);
    // Not in the history the marketplace reads, nor in any event.
    expect(JSON.stringify(await listHistory(deps(), ref.tenantId, ref.escrowId))).not.toContain("Courier");
    expect(JSON.stringify(events.events)).not.toContain("Courier");
  });

  it("replay by their key, and a key used for another note is 422", async () => {
    const ref = await disputed();
    const idem = keyed("note-1", { text: "once" }, `/v1/ops/escrows/${ref.escrowId}/notes`);
    const first = await addNote(ops(), ref, ALICE, "once", idem);
    const again = await addNote(ops(), ref, ALICE, "once", idem);
    expect(again).toEqual({ ...first, replayed: true });
    const other = keyed("note-1", { text: "twice" }, `/v1/ops/escrows/${ref.escrowId}/notes`);
    await expect(addNote(ops(), ref, ALICE, "twice", other)).rejects.toThrow(IdempotencyKeyReusedError);
    expect((await getOpsEscrow(ops(), ref.tenantId, ref.escrowId)).ops.notes).toHaveLength(1);
  });

  it(`stop at ${MAX_NOTES} an escrow, also when the last ones are added at once`, async () => {
    const ref = await disputed();
    const { desk } = ops();
    for (let seq = 1; seq <= MAX_NOTES - 3; seq++)
      await desk.addNote(ref.tenantId, ref.escrowId, {
        id: `note_${seq}`,
        text: `n${seq}`,
        by: ALICE,
        at: "2026-11-25T10:00:00.000Z",
        seq,
        idem: null,
      });
    const racing = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => addNote(ops(), ref, BOB, `last ${i}`)),
    );
    expect(racing.filter((r) => r.status === "fulfilled")).toHaveLength(3);
    for (const r of racing) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(ValidationError);
    const notes = (await getOpsEscrow(ops(), ref.tenantId, ref.escrowId)).ops.notes;
    expect(notes).toHaveLength(MAX_NOTES);
    await expect(addNote(ops(), ref, BOB, "one more")).rejects.toThrow(ValidationError);
  });
});

describe("assignment", () => {
  it("takes a case, lets the last writer win, keeps each change, and filters the queue", async () => {
    const t = "assign";
    const mine = await disputed(t);
    const free = await disputed(t);
    const view = await assign(ops(), mine, ALICE, "me");
    expect(view.view.ops.assignee).toEqual(ALICE);
    clock += 1000;
    // Bob takes it from Alice: allowed, and both changes are kept.
    await assign(ops(), mine, BOB, "me");
    clock += 1000;
    const after = (await assign(ops(), mine, BOB, "me")).view;
    expect(after.ops.assignee).toEqual(BOB);
    expect(after.ops.history.map((c) => [c.type, c.by.name, c.assignee?.name ?? null])).toEqual([
      ["assigned", "ops-alice", "ops-alice"],
      ["assigned", "ops-bob", "ops-bob"],
      ["assigned", "ops-bob", "ops-bob"],
    ]);
    const queue = async (assignee?: "me" | "none", who = BOB) =>
      (await listOpsEscrows(ops(), t, { limit: 100, ...(assignee ? { assignee } : {}) }, who)).items;
    expect((await queue("me")).map((e) => e.id)).toEqual([mine.escrowId]);
    expect((await queue("me", ALICE)).map((e) => e.id)).toEqual([]);
    expect((await queue("none")).map((e) => e.id)).toEqual([free.escrowId]);
    const all = await queue();
    expect(all.map((e) => e.id).sort()).toEqual([mine.escrowId, free.escrowId].sort());
    // Queue items carry the ops object without notes and the execution.
    const item = all.find((e) => e.id === mine.escrowId);
    expect(item?.ops).toEqual({
      needsOpsAttention: false,
      attentionReason: null,
      assignee: BOB,
      history: after.ops.history,
      waitingFor: "ops",
      evidenceCount: { buyer: 0, seller: 0 },
    });
    // A count the desk keeps is never lowered, and survives the assignment's writes.
    await ops().desk.countEvidence(t, mine.escrowId, "buyer", 2);
    await ops().desk.countEvidence(t, mine.escrowId, "buyer", 1);
    await assign(ops(), mine, BOB, "me");
    expect((await queue()).find((e) => e.id === mine.escrowId)?.ops.evidenceCount).toEqual({
      buyer: 2,
      seller: 0,
    });
    // Letting go: nobody holds it.
    clock += 1000;
    expect((await assign(ops(), mine, BOB, null)).view.ops.assignee).toBeNull();
    expect((await queue("none")).map((e) => e.id).sort()).toEqual([mine.escrowId, free.escrowId].sort());
  });

  it("replays by its key without a second change", async () => {
    const ref = await disputed();
    const idem = keyed("assign-1", { assignee: "me" }, `/v1/ops/escrows/${ref.escrowId}/assignment`);
    await assign(ops(), ref, ALICE, "me", idem);
    const again = await assign(ops(), ref, ALICE, "me", idem);
    expect(again.replayed).toBe(true);
    expect(again.view.ops.history).toHaveLength(1);
  });
});

describe("the ops view", () => {
  it("counts each party's evidence, names who the escrow waits for, and reads its execution", async () => {
    const ref = await disputed();
    const withDesk = () => ({ ...deps(), events, desk: ops().desk });
    await addEvidence(withDesk(), ref, { actorId: "u-b", text: "photo" });
    await addEvidence(withDesk(), ref, { actorId: "u-b", text: "another" });
    await addEvidence(withDesk(), ref, { actorId: "u-s", text: "packed well" });
    // The queue reads the counts the desk keeps; the view counts the pieces.
    const queued = await listOpsEscrows(ops(), ref.tenantId, { limit: 100 }, ALICE);
    expect(queued.items.find((e) => e.id === ref.escrowId)?.ops.evidenceCount).toEqual({
      buyer: 2,
      seller: 1,
    });
    const arn = workflow.executionArn(ref.escrowId);
    executions.known.set(arn, {
      status: "RUNNING",
      startedAt: "2026-11-25T10:00:00.000Z",
      recent: Array.from({ length: 25 }, (_, i) => ({
        at: `2026-11-25T10:00:${String(i).padStart(2, "0")}.000Z`,
        type: `E${i}`,
      })),
    });
    const view = await getOpsEscrow(ops(), ref.tenantId, ref.escrowId);
    expect(view.ops).toMatchObject({
      waitingFor: "ops",
      evidenceCount: { buyer: 2, seller: 1 },
      assignee: null,
      notes: [],
    });
    expect(view.ops.execution).toMatchObject({ arn, status: "RUNNING", consoleUrl: AWS_CONSOLE(arn) });
    expect(view.ops.execution.recent.map((e) => e.type)).toEqual(
      Array.from({ length: 20 }, (_, i) => `E${i + 5}`),
    );

    // Step Functions failing does not keep ops from the escrow: the execution is said to be unknown.
    executions.failing = true;
    const blind = await getOpsEscrow(ops(), ref.tenantId, ref.escrowId);
    executions.failing = false;
    expect(blind.ops.execution).toEqual({
      arn,
      status: null,
      startedAt: null,
      consoleUrl: AWS_CONSOLE(arn),
      recent: [],
    });
  });

  it("is another tenant's escrow: not found", async () => {
    const ref = await disputed("tenant-a");
    await expect(getOpsEscrow(ops(), "tenant-b", ref.escrowId)).rejects.toThrow(/not|No such/i);
    await expect(
      addNote(ops(), { tenantId: "tenant-b", escrowId: ref.escrowId }, ALICE, "x"),
    ).rejects.toThrow(/not|No such/i);
    await expect(
      assign(ops(), { tenantId: "tenant-b", escrowId: ref.escrowId }, ALICE, "me"),
    ).rejects.toThrow(/not|No such/i);
  });
});

describe("a preview and a resume", () => {
  it("a preview changes nothing", async () => {
    const ref = await disputed();
    const before = await table.store.escrows.get(ref.tenantId, ref.escrowId);
    const preview = await previewResolutionOf(ops(), ref, { outcome: "split", refundAmount: 2500 });
    expect(preview).toEqual({ paidToSeller: 7275, refundedToBuyer: 2500, platformFee: 225 });
    expect(await table.store.escrows.get(ref.tenantId, ref.escrowId)).toEqual(before);
  });

  it("a payout refused for good needs ops; once fixed, resume pays it out once, under new keys", async () => {
    const ref = await disputed();
    await performAction(
      deps(),
      ref.tenantId,
      ref.escrowId,
      { action: "resolution", outcome: "release", note: "ok" },
      undefined,
      ALICE,
    );
    payments.rejectPayouts = true;
    await expect(settle(deps(), ref)).rejects.toThrow(PayoutRejected);
    await escalateToOps(deps(), {
      ...ref,
      error: "PayoutRejected",
      cause: "closed",
      execution: ref.escrowId,
    });
    expect((await getOpsEscrow(ops(), ref.tenantId, ref.escrowId)).ops).toMatchObject({
      needsOpsAttention: true,
      waitingFor: "ops",
    });
    workflow.end(ref.escrowId); // in ParkedForOps
    payments.rejectPayouts = false;

    const started = workflow.started.length;
    const resumed = await performAction(
      deps(),
      ref.tenantId,
      ref.escrowId,
      { action: "resume", note: "account reopened" },
      undefined,
      BOB,
    );
    expect(resumed.escrow).toMatchObject({ needsOpsAttention: false, attentionReason: null });
    // The service tries again at once: the continuation starts from the record, at the release.
    expect(workflow.started.slice(started).map((s) => s.step.outcome)).toEqual(["release"]);
    await settle(deps(), ref);
    const view = await getOpsEscrow(ops(), ref.tenantId, ref.escrowId);
    expect(view).toMatchObject({ status: "RELEASED", resolution: { decidedBy: ALICE } });
    const payouts = payments.book.movements.filter((e) => e.escrowId === ref.escrowId && e.type === "payout");
    expect(payouts).toHaveLength(1);
    const refused = payments.callsOf(ref.escrowId, "payout")[0]?.key;
    expect(refused).toMatch(new RegExp(`^${ref.escrowId}:s\\d+:payout$`));
    expect(payouts[0]?.key).toMatch(new RegExp(`^${ref.escrowId}:s\\d+:payout$`));
    expect(payouts[0]?.key).not.toBe(refused);
    const history = (await listHistory(deps(), ref.tenantId, ref.escrowId)).items;
    expect(history.find((e) => e.type === "resumed")).toMatchObject({
      actor: "ops",
      opsUser: BOB,
      data: { note: "account reopened" },
    });
    expect(history.find((e) => e.type === "resolution_accepted")).toMatchObject({
      actor: "ops",
      opsUser: ALICE,
    });
    // A second resume finds nothing needing ops: 409.
    await expect(
      performAction(deps(), ref.tenantId, ref.escrowId, { action: "resume", note: "again" }, undefined, BOB),
    ).rejects.toThrow(/nothing to resume/);
  });
});
