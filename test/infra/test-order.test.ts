import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SLOW_FILES } from "../support/slow-first";

describe("the test order (test/support/slow-first.ts)", () => {
  it("names only test files that exist, each once", () => {
    expect(SLOW_FILES.filter((f) => !existsSync(f) || !f.endsWith(".test.ts"))).toEqual([]);
    expect(new Set(SLOW_FILES).size).toBe(SLOW_FILES.length);
  });
});
