import { decodeJwt } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { type OpsUserName, signInAs } from "../support/people";
import { waitFor } from "../support/wait";
import { BUYER, order, SELLER } from "./client";
import { disputed as disputedVia } from "./expect";
import { useLocalService } from "./server";

/**
 * The ops routes of API.md v1.2 over HTTP against the local service, called
 * by signed-in people (authorization code with PKCE) and by the ops client:
 * who decided and why, previews, notes, assignment, the ops view's desk and
 * execution, resume after a refused payout, tenant isolation, ops alerts.
 */
const api = useLocalService();
const tokens = new Map<OpsUserName, string>();
const as = (who: OpsUserName) => tokens.get(who) as string;
const alice = () => ({ id: String(decodeJwt(as("alice")).sub), name: "ops-alice" });

beforeAll(async () => {
  for (const who of ["alice", "bob", "olga"] as const) tokens.set(who, await signInAs(api.url, who));
});

const opsCall = (
  who: OpsUserName,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) => api.call(method, path, { token: as(who), ...(body !== undefined ? { body } : {}), headers });

const disputed = (overrides: Record<string, unknown> = {}) => disputedVia(api, overrides);

describe("who decided, and why", () => {
  it("a signed-in person's resolution carries their name in the history, the resource and the events", async () => {
    const e = await disputed();
    const decided = await opsCall("alice", "POST", `/v1/ops/escrows/${e.id}/resolution`, {
      outcome: "split",
      refundAmount: 4000,
      reasonCode: "damaged",
      note: "Scratched frame",
    });
    expect(decided.status, JSON.stringify(decided.body)).toBe(202);
    const settled = await api.waitFor(e.id, "SETTLED");
    expect(settled.resolution).toMatchObject({
      outcome: "split",
      refundAmount: 4000,
      reasonCode: "damaged",
      note: "Scratched frame",
      decidedBy: alice(),
    });
    const history = await api.call("GET", `/v1/escrows/${e.id}/events`);
    const entry = history.body.items.find((i: { type: string }) => i.type === "resolution_accepted");
    expect(entry).toMatchObject({ actor: "ops", opsUser: alice(), data: { reasonCode: "damaged" } });
    const events = await api.waitForEvents(e.id, ["escrow.settled"]);
    expect(events.find((n) => n.event.type === "escrow.settled")?.event).toMatchObject({
      actor: "ops",
      opsUser: alice(),
    });
    expect(events.find((n) => n.event.type === "escrow.disputed")?.event).not.toHaveProperty("opsUser");
  });

  it("the ops client is recorded under its client id, twice", async () => {
    const e = await disputed();
    const res = await api.call("POST", `/v1/ops/escrows/${e.id}/evidence-request`, {
      as: "ops",
      body: { from: "seller", dueSeconds: 7200, note: "courier photo" },
    });
    expect(res.status).toBe(202);
    const history = await api.call("GET", `/v1/escrows/${e.id}/events`, { as: "ops" });
    expect(history.body.items.at(-1)).toMatchObject({
      type: "evidence_requested",
      opsUser: { id: "demo-ops", name: "demo-ops" },
    });
  });
});

describe("POST /v1/ops/escrows/{id}/resolution-preview", () => {
  it("answers the three sums and changes nothing; the same problems as the resolution", async () => {
    const e = await disputed();
    const preview = await opsCall("alice", "POST", `/v1/ops/escrows/${e.id}/resolution-preview`, {
      outcome: "split",
      refundAmount: 4000,
    });
    expect(preview.status).toBe(200);
    expect(preview.body).toEqual({ paidToSeller: 8730, refundedToBuyer: 4000, platformFee: 269 });
    expect((await api.get(e.id)).body.version).toBe(e.version);
    const bad = await opsCall("alice", "POST", `/v1/ops/escrows/${e.id}/resolution-preview`, {
      outcome: "split",
      refundAmount: 12999,
    });
    expect(bad.status).toBe(400);
    expect(bad.contentType).toMatch(/^application\/problem\+json/);
    expect(
      (await opsCall("alice", "POST", `/v1/ops/escrows/${e.id}/resolution-preview`, { outcome: "maybe" }))
        .status,
    ).toBe(400);
    expect(
      (await api.call("POST", `/v1/ops/escrows/${e.id}/resolution-preview`, { body: { outcome: "release" } }))
        .status,
    ).toBe(403);
    await opsCall("bob", "POST", `/v1/ops/escrows/${e.id}/resolution`, { outcome: "refund", note: "refund" });
    const late = await opsCall("alice", "POST", `/v1/ops/escrows/${e.id}/resolution-preview`, {
      outcome: "release",
    });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe("invalid_transition");
  });
});

describe("notes and assignment", () => {
  it("notes: 201, only on ops routes, the version unmoved", async () => {
    const e = await disputed();
    const note = await opsCall("alice", "POST", `/v1/ops/escrows/${e.id}/notes`, {
      text: "Called the seller at 10:00.",
    });
    expect(note.status).toBe(201);
    expect(note.body).toMatchObject({ text: "Called the seller at 10:00.", by: alice() });
    expect(note.body.id).toMatch(/^note_/);
    expect((await opsCall("alice", "POST", `/v1/ops/escrows/${e.id}/notes`, { text: "" })).status).toBe(400);
    const view = await opsCall("bob", "GET", `/v1/ops/escrows/${e.id}`);
    expect(view.body.ops.notes).toEqual([note.body]);
    expect(view.body.version).toBe(e.version);
    for (const path of [`/v1/escrows/${e.id}`, `/v1/escrows/${e.id}/events`, `/v1/escrows/${e.id}/evidence`])
      expect(JSON.stringify((await api.call("GET", path)).body)).not.toContain("Called the seller");
    expect(JSON.stringify(await api.notifications(e.id))).not.toContain("Called the seller");
  });

  it("assignment: the last writer wins, every change is kept, the queue filters by it", async () => {
    const e = await disputed();
    const taken = await opsCall("alice", "POST", `/v1/ops/escrows/${e.id}/assignment`, { assignee: "me" });
    expect(taken.status).toBe(200);
    expect(taken.body.ops.assignee).toEqual(alice());
    const stolen = await opsCall("bob", "POST", `/v1/ops/escrows/${e.id}/assignment`, { assignee: "me" });
    expect(stolen.body.ops.assignee.name).toBe("ops-bob");
    expect(stolen.body.ops.history.map((c: { by: { name: string } }) => c.by.name)).toEqual([
      "ops-alice",
      "ops-bob",
    ]);
    expect(stolen.body.version).toBe(e.version);
    const ids = async (who: OpsUserName, assignee: string) => {
      const items: { id: string }[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await opsCall(
          who,
          "GET",
          `/v1/ops/escrows?limit=100&assignee=${assignee}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        );
        expect(page.status).toBe(200);
        items.push(...page.body.items);
        cursor = page.body.nextCursor;
      } while (cursor);
      return items.map((i) => i.id);
    };
    expect(await ids("bob", "me")).toContain(e.id);
    expect(await ids("alice", "me")).not.toContain(e.id);
    expect(await ids("alice", "none")).not.toContain(e.id);
    expect(
      (await opsCall("bob", "POST", `/v1/ops/escrows/${e.id}/assignment`, { assignee: null })).body.ops
        .assignee,
    ).toBeNull();
    expect(await ids("alice", "none")).toContain(e.id);
    expect(
      (await opsCall("bob", "POST", `/v1/ops/escrows/${e.id}/assignment`, { assignee: "you" })).status,
    ).toBe(400);
  });
});

describe("the ops view", () => {
  it("names who the escrow waits for, counts evidence, and reads its execution from the local endpoint", async () => {
    const e = await disputed();
    await api.call("POST", `/v1/escrows/${e.id}/evidence`, {
      body: { actorId: SELLER, text: "Packed well." },
    });
    const view = await opsCall("alice", "GET", `/v1/ops/escrows/${e.id}`);
    expect(view.status).toBe(200);
    expect(view.body.ops).toMatchObject({
      waitingFor: "ops",
      evidenceCount: { buyer: 0, seller: 1 },
      assignee: null,
      history: [],
    });
    const x = view.body.ops.execution;
    expect(x.arn).toMatch(new RegExp(`:execution:[^:]+:${e.id}$`));
    expect(x.status).toBe("RUNNING");
    expect(x.consoleUrl).toBe(`${api.url}/ops/executions/${x.arn}`);
    expect(x.recent.length).toBeGreaterThan(0);
    expect(x.recent.length).toBeLessThanOrEqual(20);
    // The dispute's wait is among the last events once the workflow has entered it.
    await waitFor(
      async () => {
        const again = await opsCall("alice", "GET", `/v1/ops/escrows/${e.id}`);
        return again.body.ops.execution.recent.some(
          (r: { type: string; state?: string }) =>
            r.type === "TaskStateEntered" && r.state === "AwaitOpsResolution",
        );
      },
      { timeoutMs: 10_000, what: "the execution to enter AwaitOpsResolution" },
    );
    // The console's execution view is the page itself, at that address.
    const page = await fetch(x.consoleUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<base href="\/ops\/">/);
  });
});

describe("tenants", () => {
  it("an ops user of another tenant finds none of demo's escrows", async () => {
    const e = await disputed();
    for (const [method, path, body] of [
      ["GET", `/v1/ops/escrows/${e.id}`, undefined],
      ["POST", `/v1/ops/escrows/${e.id}/notes`, { text: "hi" }],
      ["POST", `/v1/ops/escrows/${e.id}/assignment`, { assignee: "me" }],
      ["POST", `/v1/ops/escrows/${e.id}/resolution-preview`, { outcome: "release" }],
      ["POST", `/v1/ops/escrows/${e.id}/resume`, { note: "x" }],
      ["POST", `/v1/ops/escrows/${e.id}/resolution`, { outcome: "release", note: "x" }],
    ] as const) {
      const res = await opsCall("olga", method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const queue = await opsCall("olga", "GET", "/v1/ops/escrows?limit=100");
    expect(queue.body.items.map((i: { id: string }) => i.id)).not.toContain(e.id);
  });
});

describe("resume, with a payout the provider refuses", () => {
  it("needs ops with payout_rejected, alerts them with a link, and resumes once the fault ends", async () => {
    const created = await api.create(order());
    const id = created.body.id;
    await api.waitFor(id, "FUNDED");
    await api.act(id, "delivery", { actorId: SELLER });
    expect(
      (await opsCall("alice", "POST", `/v1/ops/escrows/${id}/resume`, { note: "nothing to do" })).status,
    ).toBe(409);
    const fault = await api.call("POST", "/_local/faults", {
      token: null,
      body: { target: "payments", operation: "payout", mode: "refused", seconds: 600 },
    });
    expect(fault.status).toBe(201);
    try {
      await api.act(id, "confirmation", { actorId: BUYER });
      const stuck = await waitFor(
        async () => {
          const e = (await api.get(id)).body;
          return e.needsOpsAttention && e;
        },
        { timeoutMs: 30_000, what: "the escrow to need ops" },
      );
      expect(stuck).toMatchObject({ attentionReason: "payout_rejected", status: "DELIVERED" });
      const alerts = await waitFor(
        async () => {
          const res = await fetch(`${api.url}/_local/notifications?escrowId=${id}&topic=ops`);
          const items = ((await res.json()) as { items: { event: any }[] }).items;
          return items.find((i) => i.event.type === "escrow.needs_ops") && items;
        },
        { timeoutMs: 10_000, what: "the needs_ops alert" },
      );
      const alert = alerts.find((i) => i.event.type === "escrow.needs_ops")?.event;
      expect(alert).toMatchObject({
        escrowId: id,
        consoleUrl: `${api.url}/ops/escrows/${id}`,
        escrow: { id },
      });
      expect(alert.id).toMatch(/^alr_/);
    } finally {
      await api.call("DELETE", `/_local/faults/${fault.body.id}`, { token: null });
    }
    const resumed = await opsCall("bob", "POST", `/v1/ops/escrows/${id}/resume`, {
      note: "Seller's account reopened.",
    });
    expect(resumed.status).toBe(202);
    expect(resumed.body).toMatchObject({ needsOpsAttention: false, attentionReason: null });
    await api.waitFor(id, "RELEASED");
    const ledger = (await (await fetch(`${api.url}/_local/payments?escrowId=${id}`)).json()) as {
      items: { type: string }[];
    };
    expect(ledger.items.filter((m) => m.type === "payout")).toHaveLength(1);
    const history = await api.call("GET", `/v1/escrows/${id}/events`);
    expect(history.body.items.find((i: { type: string }) => i.type === "resumed")).toMatchObject({
      actor: "ops",
      opsUser: { name: "ops-bob" },
      data: { note: "Seller's account reopened." },
    });
  }, 60_000);

  it("refused is for payments' holds and payouts only", async () => {
    for (const body of [
      { target: "sns", mode: "refused", seconds: 5 },
      { target: "payments", mode: "refused", seconds: 5 },
      { target: "payments", operation: "refund", mode: "refused", seconds: 5 },
    ]) {
      const res = await api.call("POST", "/_local/faults", { token: null, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });
});
