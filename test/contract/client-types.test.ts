import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { GENERATED_TYPES_FILE, generateTypes } from "../../client/scripts/generate-types";

/**
 * The client's types are generated from the OpenAPI document (no request or
 * response type is written by hand), and the committed file is what the
 * generator makes of the document as it is now: a change to the API without
 * `npm run client:generate` fails here.
 */
describe("the client's generated types", () => {
  it("are what openapi-typescript makes of the current OpenAPI document", async () => {
    const committed = readFileSync(GENERATED_TYPES_FILE, "utf8");
    expect(
      committed === (await generateTypes()),
      "client/src/generated/openapi.ts is stale: run npm run client:generate",
    ).toBe(true);
  });

  it("are the only API types in the client: no other client source declares a request or an answer", () => {
    for (const file of ["escrow-client.ts", "events.ts", "resilient-fetch.ts", "index.ts"]) {
      const text = readFileSync(new URL(`../../client/src/${file}`, import.meta.url), "utf8");
      expect(text, file).not.toMatch(/(interface|type)\s+\w*(Escrow|Request|Response|Body)\w*\s*(=\s*\{|\{)/);
    }
  });
});
