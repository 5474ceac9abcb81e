import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";

/**
 * The kinds' modules use the domain's helpers and the registry lists the
 * kinds: a cycle through a module that reads the registry at load would leave
 * a kind uninitialised when that module is the first one a Lambda's bundle or
 * a test imports. Each domain module is imported first, into a fresh graph.
 */
const DOMAIN = "functions/domain";
const modules = readdirSync(DOMAIN, { recursive: true, encoding: "utf8" })
  .filter((f) => f.endsWith(".ts"))
  .map((f) => join(DOMAIN, f));

describe("the domain's modules", () => {
  it.each(modules)("%s loads first, and the escrow decides after it", async (path) => {
    vi.resetModules();
    await import(/* @vite-ignore */ `../../${path}`);
    const escrow = await import("../../functions/domain/escrow");
    expect(typeof escrow.decideAction).toBe("function");
    const registry = await import("../../functions/domain/kinds/registry");
    expect(Object.values(registry.KIND_MODULES).every((k) => k !== undefined)).toBe(true);
  });
});
