import { describe, expect, it } from "vitest";
import { BUYER, order, SELLER } from "./client";
import { disputed as disputedVia } from "./expect";
import { useLocalService } from "./server";

/**
 * The ops queue and the ops view of one escrow (API.md, "The ops queue"),
 * over HTTP against the local service.
 */
const api = useLocalService();

const disputed = (disputeSeconds: number) => disputedVia(api, { windows: { disputeSeconds } });

/** Every page of an ops list, in order. */
async function allOf(query: string): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const page: any = await api.call(
      "GET",
      `/v1/ops/escrows?limit=100${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      { as: "ops" },
    );
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return items;
}

describe("the ops queue", () => {
  it("lists every DISPUTED escrow, soonest deadline first, and leaves other statuses out", async () => {
    const late = await disputed(3 * 86_400);
    const soon = await disputed(86_400);
    const middle = await disputed(2 * 86_400);
    const created = await api.create(order());
    const funded = await api.waitFor(created.body.id, "FUNDED");

    const queue = await allOf("");
    const ids = queue.map((e) => e.id);
    const mine = ids.filter((id) => [late.id, soon.id, middle.id].includes(id));
    expect(mine).toEqual([soon.id, middle.id, late.id]);
    expect(ids).not.toContain(funded.id);
    for (const e of queue) expect(e.status === "DISPUTED" || e.needsOpsAttention).toBe(true);
    // Deadlines never go down along the queue; none sorts last.
    const deadlines = queue.map((e) => e.deadline ?? "~");
    expect([...deadlines].sort()).toEqual(deadlines);

    // ?status=X lists every escrow in that status instead, in the same order.
    const fundedList = await allOf("&status=FUNDED");
    expect(fundedList.map((e) => e.id)).toContain(funded.id);
    for (const e of fundedList) expect(e.status).toBe("FUNDED");
    const fundedDeadlines = fundedList.map((e) => e.deadline ?? "~");
    expect([...fundedDeadlines].sort()).toEqual(fundedDeadlines);

    // ?needsOpsAttention=true: only escrows that need ops (none of these disputes).
    const attention = await allOf("&needsOpsAttention=true");
    for (const e of attention) expect(e.needsOpsAttention).toBe(true);
    expect(attention.map((e) => e.id)).not.toContain(soon.id);

    // A resolved dispute leaves the queue.
    expect((await api.act(soon.id, "resolution", { outcome: "refund", note: "refund" })).status).toBe(202);
    await api.waitFor(soon.id, "REFUNDED");
    expect((await allOf("")).map((e) => e.id)).not.toContain(soon.id);
  });

  it("answers a bad query or cursor with a 400 problem, never a 500", async () => {
    for (const query of [
      "?needsOpsAttention=yes",
      "?status=OPEN",
      "?limit=0",
      "?cursor=bnVsbA", // base64url of `null`
      `?cursor=${Buffer.from(JSON.stringify({ i: "OpsQueue", k: { GSI4PK: "T#demo#Q" } })).toString("base64url")}`,
    ]) {
      const res = await api.call("GET", `/v1/ops/escrows${query}`, { as: "ops" });
      expect(res.status, query).toBe(400);
      expect(res.contentType).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe("validation_error");
    }
    for (const cursor of [
      "bnVsbA",
      Buffer.from(JSON.stringify({ i: "ByTenant", k: { GSI3PK: "T#demo" } })).toString("base64url"),
    ]) {
      const res = await api.call("GET", `/v1/escrows?cursor=${cursor}`);
      expect(res.status, cursor).toBe(400);
      expect(res.body.code).toBe("validation_error");
    }
  });

  it("is for ops only: a marketplace token is 403", async () => {
    const res = await api.call("GET", "/v1/ops/escrows");
    expect(res.status).toBe(403);
    expect(res.body.code).toBe("forbidden");
  });
});

describe("the ops view of an escrow", () => {
  it("names the escrow's current execution and its console link", async () => {
    const created = await api.create(order());
    const escrow = await api.waitFor(created.body.id, "FUNDED");
    const res = await api.call("GET", `/v1/ops/escrows/${escrow.id}`, { as: "ops" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: escrow.id, status: "FUNDED", needsOpsAttention: false });
    expect(res.body.ops).toMatchObject({ needsOpsAttention: false, attentionReason: null });
    expect(res.body.ops.executionArn).toMatch(new RegExp(`:execution:[^:]+:${escrow.id}$`));
    expect(res.body.ops.consoleUrl).toContain(res.body.ops.executionArn);

    // The execution it names is the one running the escrow (Step Functions knows it by that ARN).
    const described = await fetch(`${api.url}/`, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "AWSStepFunctions.DescribeExecution",
      },
      body: JSON.stringify({ executionArn: res.body.ops.executionArn }),
    });
    expect(described.status).toBe(200);
    expect(((await described.json()) as { status: string }).status).toBe("RUNNING");

    // Done: the view follows the escrow.
    await api.act(escrow.id, "delivery", { actorId: SELLER });
    await api.act(escrow.id, "confirmation", { actorId: BUYER });
    await api.waitFor(escrow.id, "RELEASED");
    const after = await api.call("GET", `/v1/ops/escrows/${escrow.id}`, { as: "ops" });
    expect(after.body.status).toBe("RELEASED");
  });

  it("is for ops only, and another tenant's escrow does not exist", async () => {
    const created = await api.create(order());
    expect((await api.call("GET", `/v1/ops/escrows/${created.body.id}`)).status).toBe(403);
    const other = await api.create(order(), undefined, "other");
    expect((await api.call("GET", `/v1/ops/escrows/${other.body.id}`, { as: "ops" })).status).toBe(404);
    expect(
      (await api.call("GET", "/v1/ops/escrows/esc_00000000000000000000000000", { as: "ops" })).status,
    ).toBe(404);
  });
});
