import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PROBLEMS, type ProblemCode } from "../../functions/api/problem";
import { FUNCTION_ROUTES, ROUTES, type Route, type Who } from "../../functions/api/routes";
import { EVENT_TYPES } from "../../functions/domain/events";
import { KIND_MODULES } from "../../functions/domain/kinds/registry";
import { OPS_ALERT_TYPES } from "../../functions/domain/ops-alert-types";
import { buildOpenApi } from "../../infra/openapi";
import { FUNCTIONS } from "../../infra/service-functions";

/**
 * The contract in three places must agree: API.md (a copy is kept next to
 * this test; when the design folder is reachable the copy must equal it), the
 * route table (functions/api/routes.ts) that the handlers enforce and the
 * stack deploys (test/infra checks the synthesized template against it), and
 * the OpenAPI document generated from that table.
 */
const here = new URL(".", import.meta.url).pathname;
const apiMd = readFileSync(join(here, "API.md"), "utf8");

interface DocRoute {
  method: string;
  path: string;
  scopes: string[];
  who: string;
  status?: string;
  line: number;
}

const scopeOf = (word: string) => `escrow/${word}`;
const WHO: Record<string, Exclude<Who, "none" | "ops">> = {
  buyer: "buyer",
  seller: "seller",
  "buyer or seller": "party",
};

/**
 * Every /v1 route API.md names with its scope: the rows of its route tables
 * (`| \`POST /v1/…\` | scope | who | body | answer |`) and the routes its bullet
 * lists introduce (`- \`POST /v1/…\` — scope, who, …, → \`201\`…`).
 */
function documentedRoutes(markdown: string): DocRoute[] {
  const routes: DocRoute[] = [];
  const lines = markdown.split("\n");
  lines.forEach((text, index) => {
    const line = index + 1;
    const row = text.match(/^\| `(GET|POST) (\/v1\/[^` ?]*)[^`]*` \|/);
    if (row) {
      const cells = text.split(/(?<!\\)\|/).map((c) => c.trim());
      const scopeCell = cells[2] ?? "";
      routes.push({
        method: row[1] as string,
        path: row[2] as string,
        scopes: scopeCell === "none" ? [] : scopeCell.split(",").map((s) => scopeOf(s.trim())),
        who: cells[3] ?? "",
        status: (cells[5] ?? "").match(/^(\d{3})\b/)?.[1],
        line,
      });
      return;
    }
    const bullet = text.match(/^- `(GET|POST) (\/v1\/[^` ?]*)` — (.*)$/);
    if (bullet) {
      const [first, ...rest] = (bullet[3] as string).split(/,|→/).map((s) => s.trim());
      const words = [first, ...rest];
      const scopes: string[] = [];
      let who = "";
      for (const word of words) {
        if (word === "marketplace" || word === "ops") scopes.push(scopeOf(word));
        else if (word !== undefined && word in WHO) who = word;
        else break;
      }
      routes.push({
        method: bullet[1] as string,
        path: bullet[2] as string,
        scopes,
        who,
        status: bulletText(lines, index).match(/→ `(\d{3})\b/)?.[1],
        line,
      });
    }
  });
  return routes;
}

/**
 * A bullet's whole text: its first line and the lines that continue it, up to
 * the next bullet, a blank line or a heading (the next route's answer is not
 * this one's).
 */
function bulletText(lines: string[], index: number): string {
  const end = lines.findIndex((l, i) => i > index && (/^\s*$/.test(l) || /^(- |#)/.test(l)));
  return lines.slice(index, end === -1 ? lines.length : end).join(" ");
}

const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`;

/** API.md's who column: empty for a route the caller itself acts on (and for ops, who act as ops). */
const whoInDoc = (route: Route): string =>
  route.who === "none" || route.who === "ops"
    ? ""
    : (Object.entries(WHO).find(([, w]) => w === route.who)?.[0] ?? route.who);

type Doc = Awaited<ReturnType<typeof buildOpenApi>>;
let doc: Doc;
beforeAll(async () => {
  doc = await buildOpenApi();
});

describe("the contract", () => {
  const documented = documentedRoutes(apiMd);
  const byKey = new Map(documented.map((r) => [key(r), r]));
  const implemented = ROUTES as readonly Route[];

  it("keeps the copy of API.md equal to the design document when it is reachable", () => {
    const shared = [
      join(here, "../../../shared/design/API.md"),
      join(process.cwd(), "../shared/design/API.md"),
    ].find(existsSync);
    if (!shared) return; // a clone outside the workplace has only the copy
    expect(readFileSync(shared, "utf8")).toBe(apiMd);
  });

  it("parses API.md's routes: v1's table of 14 and v1.1's additions", () => {
    expect(documented.filter((r) => r.line < apiMd.split("\n").indexOf("# v1.1 additions"))).toHaveLength(14);
    expect(documented[0]).toMatchObject({ method: "GET", path: "/v1/health", scopes: [], status: "200" });
    expect(byKey.get("POST /v1/escrows/{id}/handover-code")).toMatchObject({
      scopes: ["escrow/marketplace"],
      who: "buyer",
      status: "201",
    });
    expect(byKey.get("GET /v1/escrows/{id}/evidence")?.scopes).toEqual(["escrow/marketplace", "escrow/ops"]);
    // A bullet's answer is its own, not the next bullet's.
    expect(byKey.get("GET /v1/escrows/{id}/evidence")?.status).toBeUndefined();
    expect(byKey.get("POST /v1/escrows/{id}/evidence")).toMatchObject({
      who: "buyer or seller",
      status: "201",
    });
    expect(byKey.get("POST /v1/ops/escrows/{id}/evidence-request")).toMatchObject({
      scopes: ["escrow/ops"],
      who: "",
      status: "202",
    });
    expect(byKey.get("POST /v1/escrows/{id}/move-out")?.who).toBe("buyer or seller");
    // A route named twice is named the same way twice.
    for (const r of documented) expect(byKey.get(key(r))?.scopes, `line ${r.line}`).toEqual(r.scopes);
  });

  it("implements no route API.md does not name", () => {
    const unknown = implemented.map(key).filter((k) => !byKey.has(k));
    expect(unknown).toEqual([]);
  });

  it("implements every route API.md names", () => {
    const built = new Set(implemented.map(key));
    const missing = [...byKey.keys()].filter((k) => !built.has(k)).sort();
    expect(missing).toEqual([]);
  });

  it.each(implemented.map((r) => [key(r), r] as const))(
    "%s: scopes, who acts and success status as API.md states them",
    (k, route) => {
      const written = byKey.get(k);
      expect(written, k).toBeDefined();
      expect([...route.scopes].sort()).toEqual([...(written?.scopes ?? [])].sort());
      expect(whoInDoc(route)).toBe(written?.who);
      if (written?.status) expect(String(route.status)).toBe(written.status);
    },
  );

  it("deploys a function for exactly the routes of the table that need one", () => {
    const deployed = FUNCTIONS.flatMap((f) => (f.route ? [key(f.route)] : []));
    expect(deployed.sort()).toEqual(FUNCTION_ROUTES.map(key).sort());
    expect(implemented.filter((r) => r.kind === "gateway").map(key)).toEqual(["GET /v1/health"]);
  });

  it("documents every route of the table in OpenAPI, with its scopes, and nothing else", () => {
    const paths = doc.paths ?? {};
    for (const route of implemented) {
      const op = (
        paths[route.path] as Record<string, { security?: Record<string, string[]>[] }> | undefined
      )?.[route.method.toLowerCase()];
      expect(op, key(route)).toBeDefined();
      const scopes = op?.security?.flatMap((s) => Object.values(s).flat()) ?? [];
      expect(scopes.sort()).toEqual([...route.scopes].sort());
      if (route.scopes.length === 0) expect(op?.security).toEqual([]);
    }
    const operations = Object.entries(paths).flatMap(([p, ops]) =>
      Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(operations.sort()).toEqual(implemented.map(key).sort());
  });

  it("documents each route's success status and problem documents for errors", () => {
    for (const route of implemented) {
      const op = (
        doc.paths?.[route.path] as Record<
          string,
          { responses: Record<string, { content?: Record<string, unknown> }> }
        >
      )?.[route.method.toLowerCase()];
      expect(Object.keys(op?.responses ?? {}), key(route)).toContain(String(route.status));
      for (const [code, response] of Object.entries(op?.responses ?? {}))
        if (Number(code) >= 400)
          expect(Object.keys(response.content ?? {}), `${key(route)} ${code}`).toEqual([
            "application/problem+json",
          ]);
    }
  });

  it("answers every problem code of API.md with API.md's status, and documents them all", () => {
    // Written as "`code` (400)" in the lists, and as "`405 method_not_allowed` (a new problem code)" in v1.2.
    const codes = [
      ...[...apiMd.matchAll(/`([a-z_]+)` \((\d{3})/g)].map((m) => [m[1] as string, Number(m[2])] as const),
      ...[...apiMd.matchAll(/`(\d{3}) ([a-z_]+)` \(a new problem code/g)].map(
        (m) => [m[2] as string, Number(m[1])] as const,
      ),
    ];
    expect(codes.length).toBeGreaterThanOrEqual(12);
    expect(codes).toContainEqual(["method_not_allowed", 405]);
    for (const [code, status] of codes)
      expect(PROBLEMS[code as ProblemCode]?.status, String(code)).toBe(status);
    expect(Object.keys(PROBLEMS).sort()).toEqual([...new Set(codes.map(([c]) => c))].sort());
    const schema = doc.components?.schemas?.Problem as { properties: { code: { enum: string[] } } };
    expect(schema.properties.code.enum.sort()).toEqual(Object.keys(PROBLEMS).sort());
  });

  it("documents the create body's fields as API.md lists them", () => {
    const create = doc.components?.schemas?.CreateEscrowRequest as {
      properties: Record<string, unknown>;
      required: string[];
    };
    expect(Object.keys(create.properties).sort()).toEqual(
      [
        "buyerId",
        "sellerId",
        "amount",
        "currency",
        "fee",
        "paymentMethod",
        "kind",
        "description",
        "listingRef",
        "metadata",
        "windows",
        // v1.1, rental_deposit
        "lease",
        // v1.1, vehicle
        "deposit",
        "depositForfeitable",
        "vehicle",
      ].sort(),
    );
    expect(create.required.sort()).toEqual(["amount", "buyerId", "currency", "paymentMethod", "sellerId"]);
  });

  it("documents the fields of dispute evidence and reminders, and every window", () => {
    const schemas = (doc.components?.schemas ?? {}) as Record<
      string,
      { properties?: Record<string, unknown> }
    >;
    expect(Object.keys(schemas.EscrowEvent?.properties ?? {})).toEqual(
      expect.arrayContaining(["evidence", "evidenceRequest", "reminder"]),
    );
    expect(Object.keys(schemas.EvidenceItem?.properties ?? {}).sort()).toEqual(
      ["at", "attachments", "by", "id", "text"].sort(),
    );
    expect(Object.keys(schemas.EvidenceRequest?.properties ?? {}).sort()).toEqual(["dueAt", "from", "note"]);
    expect(Object.keys(schemas.Reminder?.properties ?? {}).sort()).toEqual([
      "deadline",
      "outcomeIfSilent",
      "party",
    ]);
    const dispute = schemas.Escrow?.properties?.dispute as {
      anyOf: { properties?: Record<string, unknown> }[];
    };
    expect(Object.keys(dispute.anyOf[0]?.properties ?? {})).toContain("evidenceRequest");
    // Every window of every kind, the reminder lead included, as the resource shows them.
    const windows = new Set(Object.values(KIND_MODULES).flatMap((k) => Object.keys(k.windows)));
    expect(Object.keys(schemas.Windows?.properties ?? {}).sort()).toEqual([...windows].sort());
  });

  it("gives an example of each event type that carries a field beside the escrow, and of the evidence routes", () => {
    const escrowEvent = doc.webhooks?.escrowEvent as {
      post: {
        requestBody: { content: Record<string, { examples?: Record<string, { value: { type: string } }> }> };
      };
    };
    const webhook = escrowEvent.post.requestBody.content["application/json"];
    const types = Object.values(webhook?.examples ?? {}).map((e) => e.value.type);
    expect(types.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t))).toEqual([]);
    expect(types).toEqual(
      expect.arrayContaining([
        "escrow.evidence_added",
        "escrow.evidence_requested",
        "escrow.deadline_approaching",
      ]),
    );
    type Op = {
      requestBody?: { content: Record<string, { examples?: object }> };
      responses: Record<string, { content?: Record<string, { examples?: object }>; headers?: object }>;
    };
    const paths = (doc.paths ?? {}) as Record<string, Record<string, Op>>;
    const op = (path: string, method: string) => paths[path]?.[method] as Op;
    for (const [path, method, status] of [
      ["/v1/escrows/{id}/evidence", "post", "201"],
      ["/v1/ops/escrows/{id}/evidence-request", "post", "202"],
    ] as const) {
      expect(
        Object.keys(op(path, method).requestBody?.content["application/json"]?.examples ?? {}),
        path,
      ).not.toEqual([]);
      expect(
        Object.keys(op(path, method).responses[status]?.content?.["application/json"]?.examples ?? {}),
      ).not.toEqual([]);
    }
    const list = op("/v1/escrows/{id}/evidence", "get").responses["200"];
    expect(Object.keys(list?.content?.["application/json"]?.examples ?? {})).not.toEqual([]);
    // Only a creation names a new escrow: evidence answers 201 without `Location`.
    expect(Object.keys(op("/v1/escrows/{id}/evidence", "post").responses["201"]?.headers ?? {})).toEqual([
      "Idempotent-Replayed",
    ]);
    expect(Object.keys(op("/v1/escrows", "post").responses["201"]?.headers ?? {})).toContain("Location");
  });

  it("publishes and documents every event type API.md names, and no other", () => {
    const named = [...new Set([...apiMd.matchAll(/`(escrow\.[a-z_]+)`/g)].map((m) => m[1] as string))];
    const published = [...EVENT_TYPES, ...OPS_ALERT_TYPES] as string[];
    expect(published.filter((t) => !named.includes(t))).toEqual([]);
    expect(named.filter((t) => !published.includes(t))).toEqual([]);
    const event = doc.components?.schemas?.EscrowEvent as { properties: { type: { enum: string[] } } };
    expect(event.properties.type.enum.sort()).toEqual([...EVENT_TYPES].sort());
  });
});
