import { describe, expect, it } from "vitest";
import { DEFAULT_BODY_SETTINGS, FUNCTION_ROUTES } from "../../functions/api/routes";
import { gatewaySchema, portablePattern } from "../../infra/constructs/api-models";
import { resourcesOf, synthEscrow } from "./synth";

const walk = (node: unknown, visit: (key: string, value: unknown) => void): void => {
  if (Array.isArray(node)) for (const item of node) walk(item, visit);
  else if (node && typeof node === "object")
    for (const [key, value] of Object.entries(node)) {
      visit(key, value);
      walk(value, visit);
    }
};

const bodies = FUNCTION_ROUTES.flatMap((r) =>
  r.body ? [[r.id, r.body(DEFAULT_BODY_SETTINGS)] as const] : [],
);

describe("API Gateway request models", () => {
  it("exist for exactly the POST routes of the route table", () => {
    const posts = FUNCTION_ROUTES.filter((r) => r.method === "POST").map((r) => r.id);
    expect(bodies.map(([id]) => id).sort()).toEqual(posts.sort());
  });

  it.each(bodies)("%s: self-contained draft-4 schema, closed objects", (_, body) => {
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
    const create = bodies.find(([id]) => id === "CreateEscrow")?.[1];
    const schema = gatewaySchema(create as never) as { required: string[] };
    expect(schema.required.sort()).toEqual(["amount", "buyerId", "currency", "paymentMethod", "sellerId"]);
  });

  it("an action's model describes the body as sent (not the command it parses to)", () => {
    const delivery = bodies.find(([id]) => id === "RecordDelivery")?.[1];
    const schema = gatewaySchema(delivery as never) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties).sort()).toEqual([
      "actorId",
      "carrier",
      "handoverCode",
      "note",
      "titleTransferRef",
      "trackingNumber",
    ]);
  });

  it("the deployed create model accepts the configured currencies, not the defaults", () => {
    const { template } = synthEscrow({ supportedCurrencies: "USD,EUR" });
    const models = Object.values(resourcesOf(template, "AWS::ApiGateway::Model"));
    const create = models.find((m) => m.Properties.Name === "CreateEscrowRequest");
    expect(create?.Properties.Schema.properties.currency.enum).toEqual(["USD", "EUR"]);
    const fn = Object.values(resourcesOf(template, "AWS::Lambda::Function")).find(
      (f) => f.Metadata["escrow:functionId"] === "CreateEscrow",
    );
    expect(fn?.Properties.Environment.Variables.SUPPORTED_CURRENCIES).toBe("USD,EUR");
  });

  it("keeps ES5 patterns and drops what a draft-4 validator may not understand", () => {
    expect(portablePattern("^[^\\u0000-\\u0008\\u000b]*$")).toBe(true);
    expect(portablePattern("(?<=a)b")).toBe(false);
    expect(portablePattern("\\p{L}+")).toBe(false);
    expect(portablePattern("(?<name>x)")).toBe(false);
    expect(portablePattern("[")).toBe(false);
  });
});
