import { createServer } from "node:http";
import { beforeEach, describe, expect, it } from "vitest";
import { LOCAL_HOOKS, localHooks } from "../../functions/adapters/local-hooks";
import { createFaultsListener, FaultService } from "../../infra/local/faults/index";
import { installLocalHooks } from "../../infra/local/hooks";
import { clock, serve, T0, useFaultsDir } from "./faults-fixture";

/**
 * `/_local/faults` (API.md, "Local mode additions"): the registry, its HTTP
 * route, and each target failing the way the real service fails transiently,
 * with no effect (or, for `ambiguous` DynamoDB writes, with the effect and no
 * answer).
 */
useFaultsDir();

describe("FaultService", () => {
  it("fails a target's calls (one operation or all) until the rule expires on its clock", () => {
    const c = clock();
    const faults = new FaultService({ now: c.now });
    const all = faults.add({ target: "sns", mode: "error", seconds: 10 });
    const one = faults.add({ target: "dynamodb", operation: "UpdateItem", mode: "ambiguous", seconds: 60 });
    expect(all).toMatchObject({ target: "sns", mode: "error", probability: 1, until: T0 + 10_000 });
    expect(all.id).toMatch(/^flt_/);
    expect(faults.check("sns", "Publish")).toBe("error");
    expect(faults.check("dynamodb", "UpdateItem")).toBe("ambiguous");
    expect(faults.check("dynamodb", "GetItem")).toBeNull();
    expect(faults.check("payments", "payout")).toBeNull();

    c.t = T0 + 9_999;
    expect(faults.check("sns", "Publish")).toBe("error");
    c.t = T0 + 10_000; // expired: dropped from checks and from the list
    expect(faults.check("sns", "Publish")).toBeNull();
    expect(faults.list().map((r) => r.id)).toEqual([one.id]);
    expect(faults.get(all.id)).toBeUndefined();
  });

  it("applies each rule's probability: 0 never fires, 1 always, 0.3 about 30% of calls", () => {
    const never = new FaultService();
    never.add({ target: "lambda", mode: "error", probability: 0, seconds: 60 });
    for (let i = 0; i < 2000; i++) expect(never.check("lambda", "Invoke")).toBeNull();

    const always = new FaultService({ random: () => 0.999_999 });
    always.add({ target: "lambda", mode: "error", seconds: 60 });
    expect(always.check("lambda", "Invoke")).toBe("error");

    // A drawn number below the probability fires.
    const draws = [0.29, 0.31];
    const some = new FaultService({ random: () => draws.shift() as number });
    some.add({ target: "payments", operation: "payout", mode: "error", probability: 0.3, seconds: 60 });
    expect(some.check("payments", "payout")).toBe("error");
    expect(some.check("payments", "payout")).toBeNull();
  });

  it("ends rules early, one or all, and says when the rules change", () => {
    const faults = new FaultService();
    const changes: number[] = [];
    faults.onChange(() => changes.push(faults.list().length));
    const a = faults.add({ target: "sns", mode: "error", seconds: 60 });
    faults.add({ target: "lambda", mode: "error", seconds: 60 });
    expect(faults.remove(a.id)).toBe(true);
    expect(faults.remove(a.id)).toBe(false);
    faults.clear();
    faults.clear(); // nothing left: no change
    expect(changes).toEqual([1, 2, 1, 0]);
    expect(faults.check("lambda", "Invoke")).toBeNull();
  });
});

describe("/_local/faults", () => {
  let base: string;
  let c: ReturnType<typeof clock>;
  let faults: FaultService;
  let settled = 0;

  beforeEach(async () => {
    settled = 0;
    c = clock();
    faults = new FaultService({ now: c.now });
    const listener = createFaultsListener(faults, { afterChange: async () => void settled++ });
    base = await serve(
      createServer((req, res) => {
        void listener(req, res).then((handled) => {
          if (!handled) res.writeHead(418).end("next");
        });
      }),
    );
  });

  const post = (body: unknown) =>
    fetch(`${base}/_local/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  it("creates a rule: 201 { id, until }, listed while in force, gone once expired", async () => {
    const res = await post({ target: "dynamodb", operation: "PutItem", mode: "ambiguous", seconds: 30 });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: string; until: string };
    expect(Object.keys(created).sort()).toEqual(["id", "until"]);
    expect(created.until).toBe(new Date(T0 + 30_000).toISOString());
    expect(settled).toBe(1);
    expect(faults.check("dynamodb", "PutItem")).toBe("ambiguous");

    const listed = await (await fetch(`${base}/_local/faults`)).json();
    expect(listed).toEqual({
      items: [
        {
          id: created.id,
          target: "dynamodb",
          operation: "PutItem",
          mode: "ambiguous",
          probability: 1,
          until: created.until,
        },
      ],
    });
    expect((await fetch(`${base}/_local/faults/${created.id}`)).status).toBe(200);
    c.t = T0 + 30_000;
    expect(await (await fetch(`${base}/_local/faults`)).json()).toEqual({ items: [] });
    expect((await fetch(`${base}/_local/faults/${created.id}`)).status).toBe(404);
  });

  it("ends one rule (204; an unknown id is a 404 problem) or all of them (204)", async () => {
    const a = (await (await post({ target: "sns", mode: "error", seconds: 60 })).json()) as { id: string };
    await post({ target: "lambda", mode: "error", probability: 0.5, seconds: 60 });
    const del = await fetch(`${base}/_local/faults/${a.id}`, { method: "DELETE" });
    expect(del.status).toBe(204);
    const again = await fetch(`${base}/_local/faults/${a.id}`, { method: "DELETE" });
    expect(again.status).toBe(404);
    expect(again.headers.get("content-type")).toBe("application/problem+json");
    expect(await again.json()).toMatchObject({ status: 404, code: "not_found", type: expect.any(String) });
    expect(faults.list().map((r) => r.target)).toEqual(["lambda"]);
    expect((await fetch(`${base}/_local/faults`, { method: "DELETE" })).status).toBe(204);
    expect(faults.list()).toEqual([]);
    expect((await fetch(`${base}/v1/escrows`)).status).toBe(418); // other paths go on
  });

  it.each([
    ["an unknown field", { target: "sns", mode: "error", seconds: 5, extra: true }, "extra"],
    ["a bad target", { target: "s3", mode: "error", seconds: 5 }, "target"],
    ["a bad mode", { target: "sns", mode: "slow", seconds: 5 }, "mode"],
    ["ambiguous on sns", { target: "sns", mode: "ambiguous", seconds: 5 }, "mode"],
    ["ambiguous on stepfunctions", { target: "stepfunctions", mode: "ambiguous", seconds: 5 }, "mode"],
    ["probability above 1", { target: "sns", mode: "error", probability: 1.5, seconds: 5 }, "probability"],
    ["probability below 0", { target: "sns", mode: "error", probability: -0.1, seconds: 5 }, "probability"],
    ["probability as text", { target: "sns", mode: "error", probability: "1", seconds: 5 }, "probability"],
    ["seconds 0", { target: "sns", mode: "error", seconds: 0 }, "seconds"],
    ["seconds 3601", { target: "sns", mode: "error", seconds: 3601 }, "seconds"],
    ["fractional seconds", { target: "sns", mode: "error", seconds: 1.5 }, "seconds"],
    ["no seconds", { target: "sns", mode: "error" }, "seconds"],
    ["an empty operation", { target: "sns", operation: "", mode: "error", seconds: 5 }, "operation"],
    ["an array", [], "(body)"],
    ["text that is not JSON", "target=sns", "(body)"],
  ])("answers 400 validation_error for %s, and adds nothing", async (_what, body, path) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const problem = (await res.json()) as { errors: Array<{ path: string; message: string }> };
    expect(problem).toMatchObject({
      type: expect.any(String),
      title: expect.any(String),
      status: 400,
      detail: expect.any(String),
      code: "validation_error",
    });
    expect(problem.errors.map((e) => e.path)).toContain(path);
    for (const e of problem.errors) expect(e.message).toEqual(expect.any(String));
    expect(faults.list()).toEqual([]);
    expect(settled).toBe(0);
  });

  it("accepts the edges: probability 0 and 1, seconds 1 and 3600, ambiguous on payments and dynamodb", async () => {
    for (const body of [
      { target: "payments", operation: "payout", mode: "ambiguous", probability: 0, seconds: 1 },
      { target: "dynamodb", mode: "ambiguous", probability: 1, seconds: 3600 },
      { target: "stepfunctions", operation: "SendTaskSuccess", mode: "error", seconds: 60 },
    ])
      expect((await post(body)).status).toBe(201);
    expect(faults.list()).toHaveLength(3);
  });
});

describe("the hooks the functions see", () => {
  it("installs the fault point and the ledger on globalThis without dropping hooks already there", () => {
    const g = globalThis as Record<symbol, unknown>;
    const before = g[LOCAL_HOOKS];
    try {
      const ledger = { record: async () => ({ id: "pay_1", at: "", recorded: true }) };
      installLocalHooks({ sandboxLedger: ledger });
      const faults = new FaultService();
      installLocalHooks({ faults });
      expect(localHooks().sandboxLedger).toBe(ledger);
      expect(localHooks().faults).toBe(faults);
      faults.add({ target: "payments", operation: "payout", mode: "ambiguous", seconds: 60 });
      expect(localHooks().faults?.check("payments", "payout")).toBe("ambiguous");
      expect(localHooks().faults?.check("payments", "refund")).toBeNull();
    } finally {
      g[LOCAL_HOOKS] = before;
    }
  });
});
