import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DAY, rentalDeposit } from "../support/orders";
import { waitFor } from "../support/wait";
import { BUYER, order, SELLER } from "./client";
import { expectProblem, funded } from "./expect";
import { useLocalService } from "./server";

/**
 * Dispute evidence end to end (API.md v1.1, "Dispute evidence"): who may add
 * evidence and when, its limits, the listing, the events it publishes and its
 * place in the escrow's history, and the ops' evidence request with the
 * deadline it moves. Every refusal is a problem document and changes nothing.
 */
const api = useLocalService();

const STRANGER = "u-stranger";
const RENTER = "u-renter-ev";
const LANDLORD = "u-landlord-ev";
const HOUR = 3_600;
/** For the tests that wait up to a minute for a published event. */
const LONG = { timeout: 90_000 };

/** A well-formed attachment: a reference to a file the marketplace keeps, with its SHA-256. */
const file = (n: number | string = 1) => ({
  name: `photo-${n}.jpg`,
  contentType: "image/jpeg",
  sha256: createHash("sha256").update(`photo-${n}`).digest("hex"),
  uri: `https://files.example.com/disputes/photo-${n}.jpg`,
});

const addEvidence = (
  id: string,
  body: Record<string, unknown>,
  options: { key?: string; as?: "marketplace" | "ops" | "other" } = {},
) =>
  api.call("POST", `/v1/escrows/${id}/evidence`, {
    body,
    as: options.as ?? "marketplace",
    headers: options.key ? { "Idempotency-Key": options.key } : {},
  });

const listEvidence = (id: string, as: "marketplace" | "ops" | "other" = "marketplace") =>
  api.call("GET", `/v1/escrows/${id}/evidence`, { as });

const requestEvidence = (
  id: string,
  body: Record<string, unknown>,
  as: "marketplace" | "ops" | "other" = "ops",
) => api.call("POST", `/v1/ops/escrows/${id}/evidence-request`, { body, as });

const history = async (id: string) => (await api.call("GET", `/v1/escrows/${id}/events`)).body.items as any[];

/** Adds evidence that must be accepted; returns the item. */
async function added(id: string, body: Record<string, unknown>) {
  const res = await addEvidence(id, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const act = async (id: string, action: string, body: Record<string, unknown>, status = 202) => {
  const res = await api.act(id, action, body);
  expect(res.status, `${action}: ${JSON.stringify(res.body)}`).toBe(status);
  return res.body;
};

async function delivered(overrides: Record<string, unknown> = {}) {
  const escrow = await funded(api, overrides);
  await act(escrow.id, "delivery", { actorId: SELLER, carrier: "SF", trackingNumber: "SF123" });
  return api.waitFor(escrow.id, "DELIVERED");
}

/** A goods escrow the buyer disputed before delivery. */
async function disputed(overrides: Record<string, unknown> = {}) {
  const escrow = await funded(api, overrides);
  await act(escrow.id, "dispute", { actorId: BUYER, reason: "seller unreachable" });
  return api.waitFor(escrow.id, "DISPUTED");
}

async function refundRequested() {
  const escrow = await delivered();
  await act(escrow.id, "refund-request", { actorId: BUYER, reason: "scratched frame" });
  return api.waitFor(escrow.id, "REFUND_REQUESTED");
}

async function movedOut() {
  const created = await api.create(rentalDeposit({ buyerId: RENTER, sellerId: LANDLORD }));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  await api.waitFor(created.body.id, "FUNDED");
  await act(created.body.id, "move-out", { actorId: RENTER });
  return api.waitFor(created.body.id, "MOVED_OUT");
}

async function claimed(id: string) {
  await act(id, "deduction-claim", {
    actorId: LANDLORD,
    items: [{ category: "damage", amount: 90000, description: "Cracked bathroom tile" }],
  });
  return api.waitFor(id, "CLAIMED");
}

/** What a refused request must leave as it was: the escrow, its evidence, its history, its money. */
async function snapshot(id: string) {
  const escrow = (await api.get(id)).body;
  const evidence = await listEvidence(id);
  expect(evidence.status, JSON.stringify(evidence.body)).toBe(200);
  return {
    status: escrow.status,
    version: escrow.version,
    deadline: escrow.deadline,
    dispute: escrow.dispute ?? null,
    evidence: evidence.body.items,
    history: await history(id),
    payments: await api.payments(id),
  };
}

async function expectUnchanged(id: string, before: Awaited<ReturnType<typeof snapshot>>) {
  expect(await snapshot(id)).toEqual(before);
}

/**
 * Waits until the escrow's published events include every one of `types` (as
 * many times as listed), in whatever order: SNS promises no order between
 * events, and evidence is published by the API while a transition's event may
 * still be on its way.
 */
async function awaitPublished(id: string, types: string[]) {
  let seen: string[] = [];
  return waitFor(
    async () => {
      const items = await api.notifications(id);
      seen = items.map((n) => n.event?.type);
      const left = [...seen];
      for (const type of types) {
        const i = left.indexOf(type);
        if (i < 0) return false;
        left.splice(i, 1);
      }
      return items;
    },
    {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: `the events [${types.join(", ")}] of ${id}`,
      describe: () => `[${seen.join(", ")}]`,
    },
  );
}

/** Expects every `at` of a list to be an ISO timestamp, oldest first. */
function expectOldestFirst(items: { at: string }[]) {
  const times = items.map((i) => Date.parse(i.at));
  for (const t of times) expect(Number.isNaN(t)).toBe(false);
  expect(times).toEqual([...times].sort((a, b) => a - b));
}

describe.concurrent("adding evidence", () => {
  it("in DISPUTED: buyer and seller each add an item (201), which moves no money and changes no version", async () => {
    const escrow = await disputed();
    const before = await snapshot(escrow.id);
    const text = "Photos of the bent frame and the seller's last message";
    const buyerRes = await addEvidence(escrow.id, { actorId: BUYER, text, attachments: [file(1), file(2)] });
    expect(buyerRes.status, JSON.stringify(buyerRes.body)).toBe(201);
    expect(buyerRes.contentType).toMatch(/application\/json/);
    expect(buyerRes.body).toEqual({
      id: expect.stringMatching(/^evd_/),
      by: "buyer",
      text,
      attachments: [file(1), file(2)],
      at: expect.any(String),
    });
    expect(Date.parse(buyerRes.body.at)).toBeGreaterThanOrEqual(Date.parse(escrow.dispute.openedAt));
    const sellerItem = await added(escrow.id, { actorId: SELLER, text: "Shipped in perfect condition" });
    expect(sellerItem).toEqual({
      id: expect.stringMatching(/^evd_/),
      by: "seller",
      text: "Shipped in perfect condition",
      attachments: [],
      at: expect.any(String),
    });
    expect(sellerItem.id).not.toBe(buyerRes.body.id);

    const after = (await api.get(escrow.id)).body;
    expect(after).toMatchObject({
      status: "DISPUTED",
      version: escrow.version,
      deadline: escrow.deadline,
      held: escrow.held,
      disbursements: escrow.disbursements,
      settlement: null,
    });
    expect(await api.payments(escrow.id)).toEqual(before.payments);
    const list = await listEvidence(escrow.id);
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ items: [buyerRes.body, sellerItem] });
  });

  it("in REFUND_REQUESTED: both parties may add evidence", async () => {
    const escrow = await refundRequested();
    const buyerItem = await added(escrow.id, { actorId: BUYER, text: "The scratch", attachments: [file()] });
    const sellerItem = await added(escrow.id, { actorId: SELLER, text: "It was there in the listing" });
    expect(buyerItem).toMatchObject({ by: "buyer", attachments: [file()] });
    expect(sellerItem).toMatchObject({ by: "seller", attachments: [] });
    expect((await listEvidence(escrow.id)).body.items).toEqual([buyerItem, sellerItem]);
    expect((await api.get(escrow.id)).body).toMatchObject({
      status: "REFUND_REQUESTED",
      version: escrow.version,
      deadline: escrow.deadline,
    });
  });

  it("in CLAIMED (a rental deposit): the renter and the landlord may add evidence; not yet in MOVED_OUT", async () => {
    const escrow = await movedOut();
    const early = await snapshot(escrow.id);
    expectProblem(
      await addEvidence(escrow.id, { actorId: LANDLORD, text: "Tile photo" }),
      409,
      "invalid_transition",
    );
    await expectUnchanged(escrow.id, early);

    const claim = await claimed(escrow.id);
    const landlordItem = await added(escrow.id, {
      actorId: LANDLORD,
      text: "Tile photo and the repair quote",
      attachments: [file("tile"), { ...file("quote"), contentType: "application/pdf" }],
    });
    const renterItem = await added(escrow.id, { actorId: RENTER, text: "Move-in report shows the crack" });
    expect(landlordItem).toMatchObject({ by: "seller" });
    expect(renterItem).toMatchObject({ by: "buyer", attachments: [] });
    expect((await listEvidence(escrow.id)).body.items).toEqual([landlordItem, renterItem]);
    expect((await api.get(escrow.id)).body).toMatchObject({
      status: "CLAIMED",
      version: claim.version,
      deadline: claim.deadline,
    });
  });

  it("in FUNDED, DELIVERED and RELEASED it is 409 invalid_transition and changes nothing", async () => {
    const escrow = await funded(api);
    const check = async (status: string) => {
      expect((await api.get(escrow.id)).body.status).toBe(status);
      const before = await snapshot(escrow.id);
      for (const actorId of [BUYER, SELLER])
        expectProblem(
          await addEvidence(escrow.id, { actorId, text: `too early or late (${status})` }),
          409,
          "invalid_transition",
        );
      await expectUnchanged(escrow.id, before);
      expect(before.evidence).toEqual([]);
    };
    await check("FUNDED");
    await act(escrow.id, "delivery", { actorId: SELLER });
    await api.waitFor(escrow.id, "DELIVERED");
    await check("DELIVERED");
    await act(escrow.id, "confirmation", { actorId: BUYER });
    await api.waitFor(escrow.id, "RELEASED");
    await check("RELEASED");
  });

  it("text: 1 and 2,000 characters are fine; empty, 2,001 characters or missing are 400", async () => {
    const escrow = await disputed();
    const one = await added(escrow.id, { actorId: BUYER, text: "x" });
    const long = await added(escrow.id, { actorId: BUYER, text: "長".repeat(2000) });
    expect(one.text).toBe("x");
    expect(long.text).toBe("長".repeat(2000));
    const before = await snapshot(escrow.id);
    for (const body of [
      { actorId: BUYER, text: "" },
      { actorId: BUYER, text: "a".repeat(2001) },
      { actorId: BUYER },
      { actorId: BUYER, text: 42 },
      { text: "no actor" },
    ])
      expectProblem(await addEvidence(escrow.id, body), 400, "validation_error");
    await expectUnchanged(escrow.id, before);
  });

  it("attachments: 10 an item are fine, 11 are 400", async () => {
    const escrow = await disputed();
    const ten = [{ ...file(0), name: "n".repeat(200) }, ...Array.from({ length: 9 }, (_, i) => file(i + 1))];
    const item = await added(escrow.id, { actorId: SELLER, text: "Ten photos", attachments: ten });
    expect(item.attachments).toEqual(ten);
    const before = await snapshot(escrow.id);
    const eleven = Array.from({ length: 11 }, (_, i) => file(i));
    const res = await addEvidence(escrow.id, { actorId: SELLER, text: "Eleven photos", attachments: eleven });
    expectProblem(res, 400, "validation_error");
    await expectUnchanged(escrow.id, before);
  });

  it("attachment fields: bad sha256, a non-https uri, a bad name, a missing or unknown field are 400", async () => {
    const escrow = await disputed();
    const before = await snapshot(escrow.id);
    const bad: [string, Record<string, unknown>][] = [
      ["upper-case sha256", { ...file(), sha256: "A".repeat(64) }],
      ["upper-case sha256 of a real hash", { ...file(), sha256: file().sha256.toUpperCase() }],
      ["63-character sha256", { ...file(), sha256: "a".repeat(63) }],
      ["65-character sha256", { ...file(), sha256: "a".repeat(65) }],
      ["non-hex sha256", { ...file(), sha256: "g".repeat(64) }],
      ["http: uri", { ...file(), uri: "http://files.example.com/a.jpg" }],
      ["javascript: uri", { ...file(), uri: "javascript:alert(1)" }],
      ["not a uri", { ...file(), uri: "photo.jpg" }],
      ["empty name", { ...file(), name: "" }],
      ["no sha256", { name: "a.jpg", contentType: "image/jpeg", uri: "https://files.example.com/a.jpg" }],
      ["no uri", { name: "a.jpg", contentType: "image/jpeg", sha256: "a".repeat(64) }],
      ["unknown field", { ...file(), size: 1234 }],
    ];
    for (const [what, attachment] of bad) {
      const res = await addEvidence(escrow.id, {
        actorId: BUYER,
        text: what,
        attachments: [file("fine"), attachment],
      });
      expect(res.status, what).toBe(400);
      expectProblem(res, 400, "validation_error");
    }
    for (const body of [
      { actorId: BUYER, text: "unknown field", pinned: true },
      { actorId: BUYER, text: "not a list", attachments: file() },
      { actorId: BUYER, text: "null attachment", attachments: [null] },
    ])
      expectProblem(await addEvidence(escrow.id, body), 400, "validation_error");
    const raw = await api.call("POST", `/v1/escrows/${escrow.id}/evidence`, {
      raw: "{not json",
      headers: { "Content-Type": "application/json" },
    });
    expectProblem(raw, 400, "validation_error");
    await expectUnchanged(escrow.id, before);
  });

  it("attachment name: 1 to 255 characters (as a claim item's evidence); 256 are 400 and change nothing", async () => {
    const escrow = await disputed();
    const item = await added(escrow.id, {
      actorId: BUYER,
      text: "Longest name",
      attachments: [{ ...file(), name: "n".repeat(255) }],
    });
    expect(item.attachments[0].name).toBe("n".repeat(255));
    const before = await snapshot(escrow.id);
    const res = await addEvidence(escrow.id, {
      actorId: BUYER,
      text: "Name too long",
      attachments: [{ ...file(), name: "n".repeat(256) }],
    });
    expectProblem(res, 400, "validation_error");
    await expectUnchanged(escrow.id, before);
  });

  it("20 items a party: the 21st is 400 and changes nothing, while the other party can still add", async () => {
    const escrow = await disputed();
    const buyerItems = [];
    for (let i = 1; i <= 20; i++)
      buyerItems.push(await added(escrow.id, { actorId: BUYER, text: `Buyer's evidence #${i}` }));
    const before = await snapshot(escrow.id);
    expect(before.evidence).toEqual(buyerItems);
    const res = await addEvidence(escrow.id, { actorId: BUYER, text: "Buyer's evidence #21" });
    expectProblem(res, 400, "validation_error");
    await expectUnchanged(escrow.id, before);

    const sellerItem = await added(escrow.id, { actorId: SELLER, text: "Seller's first" });
    expect(sellerItem.by).toBe("seller");
    const list = (await listEvidence(escrow.id)).body.items;
    expect(list).toHaveLength(21);
    expect(list.at(-1)).toEqual(sellerItem);
    expect(list.filter((i: any) => i.by === "buyer")).toHaveLength(20);
  });

  it("a stranger's actorId is 403 and changes nothing", async () => {
    const escrow = await disputed();
    await added(escrow.id, { actorId: BUYER, text: "mine" });
    const before = await snapshot(escrow.id);
    expectProblem(await addEvidence(escrow.id, { actorId: STRANGER, text: "I saw it" }), 403, "forbidden");
    expectProblem(
      await addEvidence(escrow.id, { actorId: "u-ops-person", text: "ops note", attachments: [file()] }),
      403,
      "forbidden",
    );
    await expectUnchanged(escrow.id, before);
  });

  it("another tenant's escrow does not exist (404 for GET and POST), nor does an unknown id", async () => {
    const escrow = await disputed();
    const item = await added(escrow.id, { actorId: BUYER, text: "mine" });
    const before = await snapshot(escrow.id);
    expectProblem(await listEvidence(escrow.id, "other"), 404, "not_found");
    expectProblem(
      await addEvidence(escrow.id, { actorId: BUYER, text: "from the other tenant" }, { as: "other" }),
      404,
      "not_found",
    );
    const unknown = "esc_00000000000000000000000000";
    expectProblem(await listEvidence(unknown), 404, "not_found");
    expectProblem(await addEvidence(unknown, { actorId: BUYER, text: "x" }), 404, "not_found");
    await expectUnchanged(escrow.id, before);
    expect(before.evidence).toEqual([item]);
  });

  it("checks run in order: scope, shape, existence, actor, status", async () => {
    const escrow = await funded(api);
    const other = await api.create(order(), undefined, "other");
    expect(other.status).toBe(201);
    const before = await snapshot(escrow.id);
    // Scope: an ops token may read evidence but not add it.
    expectProblem(
      await addEvidence(escrow.id, { actorId: BUYER, text: "x" }, { as: "ops" }),
      403,
      "forbidden",
    );
    // The body's shape before the escrow's existence and before the status.
    expectProblem(await addEvidence(other.body.id, { actorId: BUYER, text: "" }), 400, "validation_error");
    expectProblem(await addEvidence(escrow.id, { actorId: BUYER, text: "" }), 400, "validation_error");
    // Existence before the actor.
    expectProblem(await addEvidence(other.body.id, { actorId: STRANGER, text: "x" }), 404, "not_found");
    // The actor before the status (FUNDED refuses evidence).
    expectProblem(await addEvidence(escrow.id, { actorId: STRANGER, text: "x" }), 403, "forbidden");
    expectProblem(await addEvidence(escrow.id, { actorId: BUYER, text: "x" }), 409, "invalid_transition");
    await expectUnchanged(escrow.id, before);
  });

  it("Idempotency-Key: the same key and body replay the same 201 and item; another body is 422", async () => {
    const escrow = await disputed();
    const key = `evd-${crypto.randomUUID()}`;
    const body = { actorId: SELLER, text: "Courier receipt", attachments: [file("receipt")] };
    const first = await addEvidence(escrow.id, body, { key });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const again = await addEvidence(escrow.id, { ...body }, { key });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await listEvidence(escrow.id)).body.items).toEqual([first.body]);
    const before = await snapshot(escrow.id);
    expectProblem(
      await addEvidence(escrow.id, { ...body, text: "Another receipt" }, { key }),
      422,
      "idempotency_key_reused",
    );
    await expectUnchanged(escrow.id, before);
  });
});

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
    const evidenceNotes = notes.filter((n) => n.event.type === "escrow.evidence_added");
    expect(evidenceNotes).toHaveLength(2);
    // Each item once, whatever the order of publication.
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
    expect(new Set(notes.map((n) => n.event.id)).size).toBe(notes.length);
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
