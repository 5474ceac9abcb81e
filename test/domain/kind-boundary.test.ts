import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KIND_ROUTES } from "../../functions/domain/kinds/api";
import { KIND_NAMES } from "../../functions/domain/kinds/names";
import { KIND_OWN_NAMES, KINDS } from "../../functions/domain/kinds/registry";

/**
 * A kind is its folder (functions/domain/kinds/<kind>, README "A kind is a
 * module"): code outside the kinds' folders names none of a kind's own
 * statuses, events, windows, pending actions, reminder outcomes, steps,
 * actions, entries or routes, nor a kind by name. The OpenAPI document's
 * examples (EXAMPLES) and the generated client (not in functions/ or infra/)
 * are the exceptions the README lists; the rest below is each named with its
 * reason.
 */
const ALLOWED: { file: string; name: string; reason: string }[] = [
  ...["claimSeconds", "claimResponseSeconds", "inspectionSeconds"].map((name) => ({
    file: "functions/adapters/stored-escrow.ts",
    name,
    reason: "how items written before #18 listed their kind's windows: frozen, whatever kinds exist now",
  })),
  ...["functions/app/settle.ts", "functions/app/workflow-tasks.ts", "functions/domain/decide.ts"].map(
    (file) => ({
      file,
      name: "balance",
      reason: "the balance's second hold, any kind's that takes its price in two holds (its movement keys)",
    }),
  ),
  {
    file: "functions/domain/decide.ts",
    name: "balance_declined",
    reason: "the second hold's failure reason (API.md: failureReason), any kind's",
  },
];

/** The OpenAPI document's examples: an escrow of each kind, each event type's example. */
const EXAMPLES = ["infra/event-examples.ts", "infra/openapi-examples.ts"];

const OWN = new Set<string>([
  ...KIND_NAMES.flatMap((names) => Object.values(names).flat() as string[]),
  ...KIND_ROUTES.flatMap((route) => [route.id, route.action]),
  ...KIND_OWN_NAMES.actions,
  ...KIND_OWN_NAMES.entries,
  ...KINDS,
]);

const sources = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(dir, f))
    .filter((f) => !f.startsWith("functions/domain/kinds/") && !EXAMPLES.includes(f));

/** The string literals of a file's code (comments left out). */
const literals = (path: string): string[] =>
  [
    ...readFileSync(path, "utf8")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/^\s*\/\/.*$/gm, "")
      .matchAll(/"([^"\\\n]*)"/g),
  ].map((m) => m[1] as string);

describe("the kinds' boundary", () => {
  it("holds: code outside the kinds' folders names nothing of a kind's own", () => {
    const named = [...sources("functions"), ...sources("infra")].flatMap((file) =>
      literals(file)
        .filter((s) => OWN.has(s))
        .map((name) => ({ file, name })),
    );
    const unexplained = named.filter((n) => !ALLOWED.some((a) => a.file === n.file && a.name === n.name));
    expect(unexplained).toEqual([]);
    // Every exception is still needed.
    for (const a of ALLOWED)
      expect(named, `${a.file}: ${a.name}`).toContainEqual({ file: a.file, name: a.name });
  });

  it("would see a kind's name used outside its folder", () => {
    expect(OWN.has("MOVED_OUT") && OWN.has("escrow.reserved") && OWN.has("lease_funded")).toBe(true);
    expect(
      OWN.has("RenewLease") && OWN.has("move-out") && OWN.has("claim_rejected") && OWN.has("vehicle"),
    ).toBe(true);
    expect(OWN.has("FUNDED") || OWN.has("escrow.funded") || OWN.has("funded")).toBe(false);
  });
});
