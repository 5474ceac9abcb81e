import { describe, expect, it } from "vitest";
import { gatewaySchema, portablePattern, REQUEST_BODIES } from "../../infra/constructs/api-models";
import { FUNCTIONS } from "../../infra/functions";

const walk = (node: unknown, visit: (key: string, value: unknown) => void): void => {
  if (Array.isArray(node)) for (const item of node) walk(item, visit);
  else if (node && typeof node === "object")
    for (const [key, value] of Object.entries(node)) {
      visit(key, value);
      walk(value, visit);
    }
};

describe("API Gateway request models", () => {
  it("exist for exactly the POST routes", () => {
    const posts = FUNCTIONS.filter((f) => f.route?.method === "POST").map((f) => f.id);
    expect(Object.keys(REQUEST_BODIES).sort()).toEqual(posts.sort());
  });

  it.each(Object.entries(REQUEST_BODIES))("%s: self-contained draft-4 schema, closed objects", (_, body) => {
    const schema = gatewaySchema(body) as Record<string, unknown>;
    expect(schema.schema).toBe("http://json-schema.org/draft-04/schema#");
    expect(schema.type).toBe("object");
    expect(schema.additionalProperties).toBe(false);
    walk(schema, (key, value) => {
      expect(key).not.toBe("$ref");
      expect(key).not.toBe("definitions");
      expect(key).not.toBe("$defs");
      if (key === "pattern") expect(portablePattern(String(value))).toBe(true);
    });
  });

  it("the create model requires what API.md requires", () => {
    const schema = gatewaySchema(REQUEST_BODIES.CreateEscrow as never) as { required: string[] };
    expect(schema.required.sort()).toEqual(["amount", "buyerId", "currency", "paymentMethod", "sellerId"]);
  });

  it("keeps ES5 patterns and drops what a draft-4 validator may not understand", () => {
    expect(portablePattern("^[^\\u0000-\\u0008\\u000b]*$")).toBe(true);
    expect(portablePattern("(?<=a)b")).toBe(false);
    expect(portablePattern("\\p{L}+")).toBe(false);
    expect(portablePattern("(?<name>x)")).toBe(false);
    expect(portablePattern("[")).toBe(false);
  });
});
