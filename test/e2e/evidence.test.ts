import { describe, expect, it } from "vitest";
import { BUYER, order, SELLER } from "./client";
import { evidenceKit, file, LANDLORD, RENTER, STRANGER } from "./evidence-fixture";
import { expectProblem, funded } from "./expect";
import { useLocalService } from "./server";

/**
 * Dispute evidence end to end (API.md v1.1, "Dispute evidence"): who may add
 * evidence and when, and its limits; every refusal is a problem document and
 * changes nothing. The listing, the events and the ops' evidence request:
 * evidence-requests.test.ts.
 */
const api = useLocalService();
const {
  addEvidence,
  listEvidence,
  added,
  act,
  disputed,
  refundRequested,
  movedOut,
  claimed,
  snapshot,
  expectUnchanged,
} = evidenceKit(api);

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
