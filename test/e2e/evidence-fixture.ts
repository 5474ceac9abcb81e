import { createHash } from "node:crypto";
import { expect } from "vitest";
import { rentalDeposit } from "../support/orders";
import { waitFor } from "../support/wait";
import { type Api, BUYER, SELLER } from "./client";
import { funded } from "./expect";

/** What the evidence suites share (evidence.test.ts, evidence-requests.test.ts). */
export const STRANGER = "u-stranger";
export const RENTER = "u-renter-ev";
export const LANDLORD = "u-landlord-ev";
export const HOUR = 3_600;
/** For the tests that wait up to a minute for a published event. */
export const LONG = { timeout: 90_000 };

/** A well-formed attachment: a reference to a file the marketplace keeps, with its SHA-256. */
export const file = (n: number | string = 1) => ({
  name: `photo-${n}.jpg`,
  contentType: "image/jpeg",
  sha256: createHash("sha256").update(`photo-${n}`).digest("hex"),
  uri: `https://files.example.com/disputes/photo-${n}.jpg`,
});

/** Expects every `at` of a list to be an ISO timestamp, oldest first. */
export function expectOldestFirst(items: { at: string }[]) {
  const times = items.map((i) => Date.parse(i.at));
  for (const t of times) expect(Number.isNaN(t)).toBe(false);
  expect(times).toEqual([...times].sort((a, b) => a - b));
}

/** The suites' requests and escrows, over the local service `api`. */
export function evidenceKit(api: Api) {
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

  const history = async (id: string) =>
    (await api.call("GET", `/v1/escrows/${id}/events`)).body.items as any[];

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

  return {
    act,
    added,
    addEvidence,
    awaitPublished,
    claimed,
    delivered,
    disputed,
    expectUnchanged,
    history,
    listEvidence,
    movedOut,
    refundRequested,
    requestEvidence,
    snapshot,
  };
}
