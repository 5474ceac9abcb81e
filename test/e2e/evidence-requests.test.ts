import { describe, expect, it } from "vitest";
import { DAY } from "../support/orders";
import { BUYER, SELLER } from "./client";
import { evidenceKit, expectOldestFirst, file, HOUR, LONG } from "./evidence-fixture";
import { expectProblem, funded } from "./expect";
import { useLocalService } from "./server";

/**
 * Dispute evidence end to end (see evidence.test.ts): the listing, the events
 * it publishes and its place in the escrow's history, and the ops' evidence
 * request with the deadline it moves.
 */
const api = useLocalService();
const {
  addEvidence,
  listEvidence,
  requestEvidence,
  history,
  added,
  act,
  disputed,
  refundRequested,
  snapshot,
  expectUnchanged,
  awaitPublished,
} = evidenceKit(api);

describe.concurrent("reading evidence and its events", () => {
  it("GET lists the items oldest first, for a marketplace token and for an ops token", async () => {
    const escrow = await disputed();
    const items = [];
    for (const [actorId, text] of [
      [BUYER, "first"],
      [SELLER, "second"],
      [BUYER, "third"],
      [SELLER, "fourth"],
    ] as const)
      items.push(await added(escrow.id, { actorId, text }));
    for (const as of ["marketplace", "ops"] as const) {
      const res = await listEvidence(escrow.id, as);
      expect(res.status, as).toBe(200);
      expect(res.body.items).toEqual(items);
      expectOldestFirst(res.body.items);
    }
    expect(items.map((i) => i.by)).toEqual(["buyer", "seller", "buyer", "seller"]);
    expect(new Set(items.map((i) => i.id)).size).toBe(4);
  });

  it("an escrow without evidence lists none", async () => {
    const escrow = await funded(api);
    const res = await listEvidence(escrow.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [] });
  });

  it("each item publishes escrow.evidence_added with the item beside the escrow", LONG, async () => {
    const escrow = await disputed();
    const buyerItem = await added(escrow.id, { actorId: BUYER, text: "Chat log", attachments: [file()] });
    const sellerItem = await added(escrow.id, { actorId: SELLER, text: "Tracking page" });
    const notes = await awaitPublished(escrow.id, [
      "escrow.funded",
      "escrow.disputed",
      "escrow.evidence_added",
      "escrow.evidence_added",
    ]);
    const published = notes.filter((n) => n.event.type === "escrow.evidence_added");
    // At least once, under one id (API.md): a publish whose answer came late is published again by the
    // reconciler, the same event; one event per item, whatever the order of publication.
    const byId = new Map(published.map((n) => [n.event.id, n]));
    for (const n of published) expect(n.event).toEqual(byId.get(n.event.id)?.event);
    const evidenceNotes = [...byId.values()];
    expect(evidenceNotes).toHaveLength(2);
    expect(evidenceNotes.map((n) => n.event.evidence)).toEqual(
      expect.arrayContaining([buyerItem, sellerItem]),
    );
    for (const n of evidenceNotes) {
      expect(n.attributes).toEqual({ type: "escrow.evidence_added", tenantId: "demo" });
      expect(n.event).toMatchObject({
        id: expect.stringMatching(/^evt_/),
        type: "escrow.evidence_added",
        occurredAt: expect.any(String),
        tenantId: "demo",
        escrowId: escrow.id,
        escrow: { id: escrow.id, status: "DISPUTED", version: escrow.version },
      });
    }
    // Every event id, however often delivered, always with one body (as JSON: a map's key order is not
    // part of it, and DynamoDB does not keep it).
    const bodies = new Map<string, unknown>();
    for (const n of notes) {
      expect(n.event, n.event.id).toEqual(bodies.get(n.event.id) ?? n.event);
      bodies.set(n.event.id, n.event);
    }
    // Evidence moves no money: nothing beyond the hold at the provider.
    expect((await api.payments(escrow.id)).map((m) => m.type)).toEqual(["hold"]);
  });

  it("the events route merges evidence and evidence requests with the transitions, in time order", async () => {
    const escrow = await disputed();
    const buyerItem = await added(escrow.id, {
      actorId: BUYER,
      text: "Seller stopped answering",
      attachments: [file("chat")],
    });
    const requested = await requestEvidence(escrow.id, {
      from: "seller",
      dueSeconds: 2 * DAY,
      note: "Please send proof of shipment",
    });
    expect(requested.status, JSON.stringify(requested.body)).toBe(202);
    const sellerItem = await added(escrow.id, {
      actorId: SELLER,
      text: "Proof of shipment",
      attachments: [file("shipment")],
    });
    await act(escrow.id, "resolution", { outcome: "refund", note: "no proof of delivery" });
    await api.waitFor(escrow.id, "REFUNDED");

    const items = await history(escrow.id);
    expectOldestFirst(items);
    const types = items.map((e) => e.type);
    const from = types.indexOf("disputed");
    expect(from, types.join()).toBeGreaterThan(0);
    expect(types.slice(from, from + 5)).toEqual([
      "disputed",
      "evidence_added",
      "evidence_requested",
      "evidence_added",
      "resolution_accepted",
    ]);
    expect(types.at(-1)).toBe("refunded");
    const evidenceEntries = items.filter((e) => e.type === "evidence_added");
    expect(evidenceEntries).toEqual([
      expect.objectContaining({ at: buyerItem.at, type: "evidence_added", actor: "buyer", data: buyerItem }),
      expect.objectContaining({
        at: sellerItem.at,
        type: "evidence_added",
        actor: "seller",
        data: sellerItem,
      }),
    ]);
    const request = items.find((e) => e.type === "evidence_requested");
    expect(request).toMatchObject({
      actor: "ops",
      data: requested.body.dispute.evidenceRequest,
    });
    expect(request.data).toMatchObject({ from: "seller", note: "Please send proof of shipment" });

    // The evidence stays readable after the escrow ended; no more can be added.
    expect((await listEvidence(escrow.id)).body.items).toEqual([buyerItem, sellerItem]);
    const ended = await snapshot(escrow.id);
    expectProblem(await addEvidence(escrow.id, { actorId: SELLER, text: "late" }), 409, "invalid_transition");
    await expectUnchanged(escrow.id, ended);
  });
});

describe.concurrent("evidence requests", () => {
  it(
    "ops ask for evidence in DISPUTED: 202, dispute.evidenceRequest, escrow.evidence_requested",
    LONG,
    async () => {
      const escrow = await disputed();
      const sent = Math.floor(Date.now() / 1000) * 1000;
      const res = await requestEvidence(escrow.id, {
        from: "both",
        dueSeconds: HOUR,
        note: "Both parties: photos of the item as received",
      });
      const answered = Date.now();
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body).toMatchObject({
        id: escrow.id,
        status: "DISPUTED",
        dispute: {
          openedBy: "buyer",
          reason: "seller unreachable",
          evidenceRequest: {
            from: "both",
            dueAt: expect.any(String),
            note: "Both parties: photos of the item as received",
          },
        },
      });
      const dueAt = Date.parse(res.body.dispute.evidenceRequest.dueAt);
      expect(dueAt).toBeGreaterThanOrEqual(sent + HOUR * 1000);
      expect(dueAt).toBeLessThanOrEqual(answered + HOUR * 1000);
      // The marketplace sees the request on the resource too.
      expect((await api.get(escrow.id)).body.dispute.evidenceRequest).toEqual(
        res.body.dispute.evidenceRequest,
      );

      const notes = await awaitPublished(escrow.id, ["escrow.disputed", "escrow.evidence_requested"]);
      const note = notes.find((n) => n.event.type === "escrow.evidence_requested");
      expect(note?.attributes).toEqual({ type: "escrow.evidence_requested", tenantId: "demo" });
      expect(note?.event).toMatchObject({
        id: expect.stringMatching(/^evt_/),
        escrowId: escrow.id,
        tenantId: "demo",
        evidenceRequest: res.body.dispute.evidenceRequest,
        escrow: {
          id: escrow.id,
          status: "DISPUTED",
          dispute: { evidenceRequest: res.body.dispute.evidenceRequest },
        },
      });
      expect(note?.event.evidenceRequest).toEqual({
        from: "both",
        dueAt: res.body.dispute.evidenceRequest.dueAt,
        note: "Both parties: photos of the item as received",
      });
      // Either party can answer it.
      await added(escrow.id, { actorId: BUYER, text: "As received", attachments: [file("received")] });
      await added(escrow.id, { actorId: SELLER, text: "As shipped", attachments: [file("shipped")] });
      // Evidence requests move no money either.
      expect((await api.payments(escrow.id)).map((m) => m.type)).toEqual(["hold"]);
    },
  );

  it("is for ops only: a marketplace token is 403 and changes nothing; an unknown escrow is 404", async () => {
    const escrow = await disputed();
    const before = await snapshot(escrow.id);
    const body = { from: "buyer", dueSeconds: DAY, note: "Send the receipt" };
    expectProblem(await requestEvidence(escrow.id, body, "marketplace"), 403, "forbidden");
    expectProblem(await requestEvidence(escrow.id, body, "other"), 403, "forbidden");
    expectProblem(await requestEvidence("esc_00000000000000000000000000", body), 404, "not_found");
    await expectUnchanged(escrow.id, before);
    expect(before.dispute.evidenceRequest ?? null).toBeNull();
  });

  it("is only in DISPUTED: FUNDED, REFUND_REQUESTED and a resolved escrow are 409 and change nothing", async () => {
    const body = { from: "both", dueSeconds: DAY, note: "Anything?" };
    const notYet = await funded(api);
    const asked = await refundRequested();
    const resolved = await disputed();
    await act(resolved.id, "resolution", { outcome: "release", note: "delivered after all" });
    await api.waitFor(resolved.id, "RELEASED");
    for (const escrow of [notYet, asked, resolved]) {
      const before = await snapshot(escrow.id);
      expectProblem(await requestEvidence(escrow.id, body), 409, "invalid_transition");
      await expectUnchanged(escrow.id, before);
    }
  });

  it("bad bodies are 400 and change nothing: dueSeconds 1 hour to 14 days, from, note", async () => {
    const escrow = await disputed();
    const before = await snapshot(escrow.id);
    const ok = { from: "buyer", dueSeconds: DAY, note: "Send the receipt" };
    const cases: [string, Record<string, unknown>][] = [
      ["dueSeconds 3599", { ...ok, dueSeconds: HOUR - 1 }],
      ["dueSeconds 1209601", { ...ok, dueSeconds: 14 * DAY + 1 }],
      ["dueSeconds 0", { ...ok, dueSeconds: 0 }],
      ["dueSeconds not an integer", { ...ok, dueSeconds: 3600.5 }],
      ["dueSeconds a string", { ...ok, dueSeconds: "3600" }],
      ["no dueSeconds", { from: "buyer", note: "x" }],
      ["from everyone", { ...ok, from: "everyone" }],
      ["from ops", { ...ok, from: "ops" }],
      ["no from", { dueSeconds: DAY, note: "x" }],
      ["empty note", { ...ok, note: "" }],
      ["1001-character note", { ...ok, note: "n".repeat(1001) }],
      ["no note", { from: "buyer", dueSeconds: DAY }],
      ["unknown field", { ...ok, urgent: true }],
    ];
    for (const [what, body] of cases) {
      const res = await requestEvidence(escrow.id, body);
      expect(res.status, what).toBe(400);
      expectProblem(res, 400, "validation_error");
    }
    await expectUnchanged(escrow.id, before);
    // The bounds themselves are fine, and so is a note of 1,000 characters.
    for (const dueSeconds of [HOUR, 14 * DAY]) {
      const res = await requestEvidence(escrow.id, { ...ok, dueSeconds, note: "n".repeat(1000) });
      expect(res.status, `dueSeconds ${dueSeconds}: ${JSON.stringify(res.body)}`).toBe(202);
    }
  });

  it("never brings the deadline earlier: a 30-day dispute keeps its deadline", async () => {
    const escrow = await disputed();
    expect(Date.parse(escrow.deadline) - Date.parse(escrow.dispute.openedAt)).toBe(30 * DAY * 1000);
    for (const dueSeconds of [HOUR, 14 * DAY]) {
      const res = await requestEvidence(escrow.id, { from: "seller", dueSeconds, note: "Proof of shipment" });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      // dueAt + 72 h is at most 17 days away: earlier than the dispute's own deadline.
      expect(res.body.deadline).toBe(escrow.deadline);
      expect(Date.parse(res.body.dispute.evidenceRequest.dueAt) + 72 * HOUR * 1000).toBeLessThan(
        Date.parse(escrow.deadline),
      );
    }
    expect((await api.get(escrow.id)).body).toMatchObject({ status: "DISPUTED", deadline: escrow.deadline });
  });

  it("moves a short dispute's deadline to exactly dueAt + 72 h, and a later shorter request keeps it", async () => {
    const escrow = await disputed({ windows: { disputeSeconds: HOUR } });
    expect(Date.parse(escrow.deadline) - Date.parse(escrow.dispute.openedAt)).toBe(HOUR * 1000);
    const first = await requestEvidence(escrow.id, { from: "buyer", dueSeconds: HOUR, note: "Photos" });
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    const firstDue = Date.parse(first.body.dispute.evidenceRequest.dueAt);
    expect(Date.parse(first.body.deadline)).toBe(firstDue + 72 * HOUR * 1000);
    expect((await api.get(escrow.id)).body.deadline).toBe(first.body.deadline);

    const longer = await requestEvidence(escrow.id, { from: "seller", dueSeconds: 7 * DAY, note: "Receipt" });
    expect(longer.status, JSON.stringify(longer.body)).toBe(202);
    const longerDue = Date.parse(longer.body.dispute.evidenceRequest.dueAt);
    expect(Date.parse(longer.body.deadline)).toBe(longerDue + 72 * HOUR * 1000);

    const shorter = await requestEvidence(escrow.id, {
      from: "both",
      dueSeconds: HOUR,
      note: "Anything else",
    });
    expect(shorter.status, JSON.stringify(shorter.body)).toBe(202);
    expect(shorter.body.deadline).toBe(longer.body.deadline);
    expect(shorter.body.dispute.evidenceRequest).toMatchObject({ from: "both", note: "Anything else" });
    expect((await api.get(escrow.id)).body).toMatchObject({
      status: "DISPUTED",
      deadline: longer.body.deadline,
    });
  });

  it("ops can still resolve the dispute after asking for evidence", LONG, async () => {
    const escrow = await disputed();
    const res = await requestEvidence(escrow.id, { from: "both", dueSeconds: HOUR, note: "Photos please" });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    await added(escrow.id, { actorId: BUYER, text: "Photos", attachments: [file("b")] });
    await added(escrow.id, { actorId: SELLER, text: "Photos", attachments: [file("s")] });
    const ruling = await api.act(escrow.id, "resolution", {
      outcome: "split",
      refundAmount: 5000,
      note: "both partly right",
    });
    expect(ruling.status, JSON.stringify(ruling.body)).toBe(202);
    const done = await api.waitFor(escrow.id, "SETTLED");
    expect(done.settlement).toMatchObject({ refundedToBuyer: 5000, platformFee: 239, paidToSeller: 7760 });
    expect(done.deadline).toBeNull();
    await awaitPublished(escrow.id, [
      "escrow.disputed",
      "escrow.evidence_requested",
      "escrow.evidence_added",
      "escrow.evidence_added",
      "escrow.settled",
    ]);
    // The request is over with the dispute.
    const ended = await snapshot(escrow.id);
    expectProblem(
      await requestEvidence(escrow.id, { from: "both", dueSeconds: HOUR, note: "late" }),
      409,
      "invalid_transition",
    );
    await expectUnchanged(escrow.id, ended);
  });
});
