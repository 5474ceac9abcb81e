import type { Api } from "../e2e/client";
import { carDeal, DAY, iso, order, rentalDeposit } from "../support/orders";
import { sleep } from "./util";

/**
 * The lifecycle paths the bench measures one at a time, each as an
 * event-driven integrator drives it: API calls, then the published event
 * that says the step happened (no polling GETs).
 */

export const BUYER = "u-bench-buyer";
export const SELLER = "u-bench-seller";
export type PathName =
  | "happy"
  | "refund"
  | "dispute"
  | "autoRelease"
  | "autoRefund"
  | "rentalReturn"
  | "rentalClaim"
  | "rentalPartialDispute"
  | "rentalOpsSplit"
  | "carRelease"
  | "carRejected"
  | "carForfeited"
  | "happyReminded"
  | "disputeEvidence";

/** Waits for a published event (the way an integrator learns of it), without touching the API. */
export async function event(api: Api, id: string, type: string, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if ((await api.notifications(id)).some((n) => n.event.type === type)) return;
    await sleep(50);
  }
  throw new Error(`no ${type} for ${id}`);
}

export async function must(res: Promise<{ status: number; body: any }>, status: number) {
  const r = await res;
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** The escrow as the last event of `type` carried it. */
async function eventEscrow(api: Api, id: string, type: string) {
  await event(api, id, type);
  const notes = (await api.notifications(id)).filter((n) => n.event.type === type);
  return notes[notes.length - 1]?.event.escrow as { deadline: string; windows: { reminderSeconds: number } };
}

/**
 * The reminder of the wait the escrow is in: the bench's service runs its
 * reconciler only when asked (as AWS runs it on its schedule), so the bench
 * asks once the reminder's time has come, and waits for the event.
 */
async function reminded(
  api: Api,
  id: string,
  escrow: { deadline: string; windows: { reminderSeconds: number } },
) {
  const at = Date.parse(escrow.deadline) - escrow.windows.reminderSeconds * 1000;
  await sleep(Math.max(0, at - Date.now()) + 100);
  const before = (await api.notifications(id)).filter((n) => n.event.type === "escrow.deadline_approaching");
  await api.reconcile();
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    const now = (await api.notifications(id)).filter((n) => n.event.type === "escrow.deadline_approaching");
    if (now.length > before.length) return;
    await sleep(50);
  }
  throw new Error(`no reminder for ${id}`);
}

/** Each path returns the escrow id and the API requests it made (polling excluded: events are used instead). */
export const PATHS: Record<
  PathName,
  (api: Api) => Promise<{ id: string; apiRequests: number; final: string }>
> = {
  async happy(api) {
    const { id } = await must(api.create(order({ buyerId: BUYER, sellerId: SELLER })), 201);
    await event(api, id, "escrow.funded");
    await must(
      api.act(id, "delivery", { actorId: SELLER, carrier: "SF", trackingNumber: "SF1" }, { key: `d-${id}` }),
      202,
    );
    await must(api.act(id, "confirmation", { actorId: BUYER }, { key: `c-${id}` }), 202);
    await event(api, id, "escrow.released");
    return { id, apiRequests: 3, final: "escrow.released" };
  },
  // The happy path where both waits run long enough for their reminders (the seller's, then the buyer's).
  async happyReminded(api) {
    const windows = { deliverySeconds: 6, confirmationSeconds: 6, reminderSeconds: 2 };
    const { id } = await must(api.create(order({ buyerId: BUYER, sellerId: SELLER, windows })), 201);
    await reminded(api, id, await eventEscrow(api, id, "escrow.funded"));
    await must(
      api.act(id, "delivery", { actorId: SELLER, carrier: "SF", trackingNumber: "SF1" }, { key: `d-${id}` }),
      202,
    );
    await reminded(api, id, await eventEscrow(api, id, "escrow.delivered"));
    await must(api.act(id, "confirmation", { actorId: BUYER }, { key: `c-${id}` }), 202);
    await event(api, id, "escrow.released");
    return { id, apiRequests: 3, final: "escrow.released" };
  },
  // A dispute with a piece of evidence from each side, an ops request for more, and a split.
  async disputeEvidence(api) {
    const id = await disputedAfterDelivery(api);
    for (const [actorId, text] of [
      [BUYER, "The frame is cracked; photo attached."],
      [SELLER, "It left intact; courier photo attached."],
    ])
      await must(
        api.call("POST", `/v1/escrows/${id}/evidence`, {
          body: {
            actorId,
            text,
            attachments: [
              {
                name: "photo.jpg",
                contentType: "image/jpeg",
                sha256: "a".repeat(64),
                uri: "https://f.example/p",
              },
            ],
          },
        }),
        201,
      );
    await must(
      api.call("POST", `/v1/ops/escrows/${id}/evidence-request`, {
        as: "ops",
        body: { from: "both", dueSeconds: 86_400, note: "The unboxing video, please." },
      }),
      202,
    );
    await event(api, id, "escrow.evidence_requested");
    await must(
      api.act(id, "resolution", { outcome: "split", refundAmount: 4000, note: "n" }, { key: `s-${id}` }),
      202,
    );
    await event(api, id, "escrow.settled");
    return { id, apiRequests: 7, final: "escrow.settled" };
  },
  async refund(api) {
    const id = await delivered(api);
    await must(api.act(id, "refund-request", { actorId: BUYER, reason: "broken" }, { key: `r-${id}` }), 202);
    await must(api.act(id, "refund-response", { actorId: SELLER, accept: true }, { key: `a-${id}` }), 202);
    await event(api, id, "escrow.refunded");
    return { id, apiRequests: 4, final: "escrow.refunded" };
  },
  async dispute(api) {
    const id = await disputedAfterDelivery(api);
    await must(
      api.act(id, "resolution", { outcome: "split", refundAmount: 4000, note: "n" }, { key: `s-${id}` }),
      202,
    );
    await event(api, id, "escrow.settled");
    return { id, apiRequests: 4, final: "escrow.settled" };
  },
  async autoRelease(api) {
    const id = await delivered(api, { windows: { confirmationSeconds: 1 } });
    await event(api, id, "escrow.released");
    return { id, apiRequests: 2, final: "escrow.released" };
  },
  async autoRefund(api) {
    const body = order({ buyerId: BUYER, sellerId: SELLER, windows: { deliverySeconds: 1 } });
    const { id } = await must(api.create(body), 201);
    await event(api, id, "escrow.refunded");
    return { id, apiRequests: 1, final: "escrow.refunded" };
  },
  // A two-year lease (parked: no execution open while the deposit is at rest), move-out, the deposit back.
  async rentalReturn(api) {
    const id = await movedOut(api);
    await must(api.act(id, "deposit-return", { actorId: SELLER }, { key: `r-${id}` }), 202);
    await event(api, id, "escrow.refunded");
    return { id, apiRequests: 3, final: "escrow.refunded" };
  },
  // Lease, move-out, a claim the renter accepts.
  async rentalClaim(api) {
    const id = await claimed(api);
    await must(api.act(id, "claim-response", { actorId: BUYER, accept: true }, { key: `a-${id}` }), 202);
    await event(api, id, "escrow.settled");
    return { id, apiRequests: 4, final: "escrow.settled" };
  },
  // A claim rejected in part (the undisputed part moves at once), the dispute window lapsing.
  async rentalPartialDispute(api) {
    const id = await claimRejectedInPart(api, { disputeSeconds: 1 });
    await event(api, id, "escrow.settled");
    return { id, apiRequests: 4, final: "escrow.settled" };
  },
  // A claim rejected in part, the contested part split by ops.
  async rentalOpsSplit(api) {
    const id = await claimRejectedInPart(api);
    await event(api, id, "escrow.partially_settled");
    await must(
      api.act(id, "resolution", { outcome: "split", refundAmount: 20000, note: "n" }, { key: `s-${id}` }),
      202,
    );
    await event(api, id, "escrow.settled");
    return { id, apiRequests: 5, final: "escrow.settled" };
  },
  // Reserve, inspect, the balance held, an in-person handover, release.
  async carRelease(api) {
    const { id } = await must(api.create(car()), 201);
    await event(api, id, "escrow.reserved");
    await must(api.act(id, "inspection", { actorId: BUYER, accept: true }, { key: `i-${id}` }), 202);
    await event(api, id, "escrow.funded");
    const { code } = await must(
      api.call("POST", `/v1/escrows/${id}/handover-code`, { body: { actorId: BUYER } }),
      201,
    );
    await must(
      api.act(
        id,
        "delivery",
        { actorId: SELLER, titleTransferRef: "T-1", handoverCode: code },
        { key: `d-${id}` },
      ),
      202,
    );
    await must(api.act(id, "confirmation", { actorId: BUYER }, { key: `c-${id}` }), 202);
    await event(api, id, "escrow.released");
    return { id, apiRequests: 5, final: "escrow.released" };
  },
  async carRejected(api) {
    const { id } = await must(api.create(car()), 201);
    await event(api, id, "escrow.reserved");
    await must(
      api.act(
        id,
        "inspection",
        { actorId: BUYER, accept: false, reason: "frame damage" },
        { key: `i-${id}` },
      ),
      202,
    );
    await event(api, id, "escrow.refunded");
    return { id, apiRequests: 2, final: "escrow.refunded" };
  },
  // The inspection window lapses: a forfeitable deposit goes to the seller.
  async carForfeited(api) {
    const { id } = await must(api.create(car({ inspectionSeconds: 1 }, true)), 201);
    await event(api, id, "escrow.released");
    return { id, apiRequests: 1, final: "escrow.released" };
  },
};

/** The bicycle (with `overrides`), funded, then delivered without tracking (2 API requests); its id. */
async function delivered(api: Api, overrides: Record<string, unknown> = {}): Promise<string> {
  const { id } = await must(api.create(order({ buyerId: BUYER, sellerId: SELLER, ...overrides })), 201);
  await event(api, id, "escrow.funded");
  await must(api.act(id, "delivery", { actorId: SELLER }, { key: `d-${id}` }), 202);
  return id;
}

/** Delivered, then disputed by the buyer (3 API requests); its id. */
async function disputedAfterDelivery(api: Api): Promise<string> {
  const id = await delivered(api);
  await must(api.act(id, "dispute", { actorId: BUYER, reason: "not as described" }, { key: `x-${id}` }), 202);
  return id;
}

/** A two-year lease, funded, then moved out of (2 API requests); its id. */
async function movedOut(api: Api, windows: Record<string, number> = {}): Promise<string> {
  const { id } = await must(api.create(rental(windows)), 201);
  await event(api, id, "escrow.funded");
  await must(api.act(id, "move-out", { actorId: BUYER }, { key: `m-${id}` }), 202);
  return id;
}

/** Lease, move-out, and the landlord's claim (3 API requests); its id. */
async function claimed(api: Api, windows: Record<string, number> = {}): Promise<string> {
  const id = await movedOut(api, windows);
  await must(api.act(id, "deduction-claim", { actorId: SELLER, items: CLAIM }, { key: `c-${id}` }), 202);
  return id;
}

/** Lease, move-out, a claim, and the renter accepting only part of it (4 API requests). */
async function claimRejectedInPart(api: Api, windows: Record<string, number> = {}): Promise<string> {
  const id = await claimed(api, windows);
  await must(
    api.act(
      id,
      "claim-response",
      { actorId: BUYER, accept: false, acceptedAmount: 10000 },
      { key: `x-${id}` },
    ),
    202,
  );
  return id;
}

const CLAIM = [
  { category: "cleaning", amount: 10000, description: "Deep clean" },
  { category: "damage", amount: 40000, description: "Sofa" },
];
const rental = (windows: Record<string, number> = {}) =>
  rentalDeposit({
    buyerId: BUYER,
    sellerId: SELLER,
    amount: 300000,
    fee: 3000,
    lease: { startsAt: iso(-DAY), endsAt: iso(2 * 365 * DAY) },
    windows,
  });
const car = (windows: Record<string, number> = {}, depositForfeitable = false) =>
  carDeal({ buyerId: BUYER, sellerId: SELLER, depositForfeitable, windows });
