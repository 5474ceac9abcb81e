import { describe, expect, it } from "vitest";
import "../../infra/local/polyfills";

describe("polyfills", () => {
  it("provides a working Promise.withResolvers (aws-local-stepfunctions needs it on Node 20)", async () => {
    const P = Promise as PromiseConstructor & {
      withResolvers<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void };
    };
    expect(typeof P.withResolvers).toBe("function");
    const ok = P.withResolvers<number>();
    ok.resolve(42);
    await expect(ok.promise).resolves.toBe(42);
    const ko = P.withResolvers<number>();
    ko.reject(new Error("no"));
    await expect(ko.promise).rejects.toThrow("no");
  });
});
