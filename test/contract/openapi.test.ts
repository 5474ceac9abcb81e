import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { Health } from "../../functions/api/routes";
import { buildOpenApi } from "../../infra/openapi";
import { FUNCTIONS } from "../../infra/service-functions";

/**
 * The contract in three places must agree: API.md's route table (a copy is
 * kept next to this test; when the design folder is reachable the copy must
 * equal it), the OpenAPI document generated from the handlers' schemas, and
 * the routes the stack deploys (infra/functions.ts; test/infra checks the
 * synthesized template against the same list).
 */
const here = new URL(".", import.meta.url).pathname;
const apiMd = readFileSync(join(here, "API.md"), "utf8");

interface TableRoute {
  method: string;
  path: string;
  scopes: string[];
  status?: string;
}

function routeTable(markdown: string): TableRoute[] {
  const section = markdown.slice(markdown.indexOf("## Routes"), markdown.indexOf("### Create body"));
  return section
    .split("\n")
    .filter((line) => /^\| `(GET|POST) \//.test(line))
    .map((line) => {
      const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
      const [method, rawPath] = (cells[1] ?? "").replace(/`/g, "").split(" ");
      const path = (rawPath ?? "").split("?")[0] as string;
      const scopeCell = cells[2] ?? "";
      const scopes = scopeCell === "none" ? [] : scopeCell.split(",").map((s) => `escrow/${s.trim()}`);
      const status = (cells[5] ?? "").match(/^(\d{3})/)?.[1];
      return { method: method as string, path, scopes, status };
    });
}

type Doc = Awaited<ReturnType<typeof buildOpenApi>>;
let doc: Doc;
beforeAll(async () => {
  doc = await buildOpenApi();
});

describe("the contract", () => {
  const table = routeTable(apiMd);

  it("keeps the copy of API.md equal to the design document when it is reachable", () => {
    const shared = [
      join(here, "../../../shared/design/API.md"),
      join(process.cwd(), "../shared/design/API.md"),
    ].find(existsSync);
    if (!shared) return; // a clone outside the workplace has only the copy
    expect(readFileSync(shared, "utf8")).toBe(apiMd);
  });

  it("parses API.md's route table", () => {
    expect(table).toHaveLength(14);
    expect(table[0]).toEqual({ method: "GET", path: "/v1/health", scopes: [], status: "200" });
    expect(table.every((r) => /^\d{3}$/.test(r.status ?? ""))).toBe(true);
  });

  it("deploys exactly API.md's routes with API.md's scopes", () => {
    const deployed: TableRoute[] = [
      { method: Health.method, path: Health.path, scopes: [] },
      ...FUNCTIONS.flatMap((f) =>
        f.route ? [{ method: f.route.method, path: f.route.path, scopes: [...f.route.scopes] }] : [],
      ),
    ];
    const key = (r: TableRoute) => `${r.method} ${r.path}`;
    expect(deployed.map(key).sort()).toEqual(table.map(key).sort());
    for (const route of table) {
      const mine = deployed.find((d) => key(d) === key(route));
      expect(mine?.scopes.sort(), key(route)).toEqual(route.scopes.sort());
    }
  });

  it("documents every route of API.md in OpenAPI, with its scopes", () => {
    const paths = doc.paths ?? {};
    for (const route of table) {
      const op = (
        paths[route.path] as Record<string, { security?: Record<string, string[]>[] }> | undefined
      )?.[route.method.toLowerCase()];
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      const scopes = op?.security?.flatMap((s) => Object.values(s).flat()) ?? [];
      expect(scopes.sort()).toEqual([...route.scopes].sort());
    }
    const documented = Object.entries(paths).flatMap(([p, ops]) =>
      Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(documented.sort()).toEqual(table.map((r) => `${r.method} ${r.path}`).sort());
  });

  it("documents the success status of each route as API.md states it and problem documents for errors", () => {
    const answers = table.map((r) => ({
      key: `${r.method.toLowerCase()} ${r.path}`,
      status: r.status as string,
    }));
    expect(answers).toHaveLength(14);
    for (const { key, status } of answers) {
      const [method, path] = key.split(" ") as [string, string];
      const op = (
        doc.paths?.[path] as Record<
          string,
          { responses: Record<string, { content?: Record<string, unknown> }> }
        >
      )?.[method];
      expect(Object.keys(op?.responses ?? {}), key).toContain(status);
      for (const [code, response] of Object.entries(op?.responses ?? {}))
        if (Number(code) >= 400)
          expect(Object.keys(response.content ?? {}), `${key} ${code}`).toEqual(["application/problem+json"]);
    }
  });

  it("lists every problem code of API.md in the Problem schema", () => {
    const codes = [...apiMd.matchAll(/`([a-z_]+)` \((\d{3})/g)].map((m) => m[1]);
    expect(codes.length).toBeGreaterThanOrEqual(9);
    const schema = doc.components?.schemas?.Problem as { properties: { code: { enum: string[] } } };
    expect(schema.properties.code.enum.sort()).toEqual([...new Set(codes)].sort());
  });

  it("documents the create body's fields as API.md lists them, and the SNS event types", () => {
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
      ].sort(),
    );
    expect(create.required.sort()).toEqual(["amount", "buyerId", "currency", "paymentMethod", "sellerId"]);
    const eventTypes = [...apiMd.slice(apiMd.indexOf("## Events")).matchAll(/`(escrow\.[a-z_]+)`/g)].map(
      (m) => m[1],
    );
    const event = doc.components?.schemas?.EscrowEvent as { properties: { type: { enum: string[] } } };
    expect(event.properties.type.enum.sort()).toEqual([...new Set(eventTypes)].sort());
  });
});
