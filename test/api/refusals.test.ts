// The classic zod build, loaded first as the local runtime loads it: it installs zod's English messages
// ("Invalid input: expected string, received undefined"), which the API must not pass on.
import "zod";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { apiEvent, CREATE_BODY, context, HANDLER_ENV, type Handler, problemOf } from "./api-event";

/**
 * How the handlers word a refusal (API.md v1.2, "For integrators"): in the
 * API's own words whichever zod build the process loaded, one error per
 * field, unknown query parameters by name, and a 401 with its Bearer
 * challenge. Nothing is written: the table answers only the client lookup.
 */
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
});
const ddb = mockClient(DynamoDBClient);
let create: Handler;
let list: Handler;

beforeAll(async () => {
  for (const [name, value] of Object.entries(HANDLER_ENV)) vi.stubEnv(name, value);
  vi.stubEnv("SUPPORTED_CURRENCIES", "CNY,USD");
  vi.stubEnv("PAYMENT_PROVIDER", "sandbox");
  create = (await import("../../functions/api/create-escrow")).handler as unknown as Handler;
  list = (await import("../../functions/api/list-escrows")).handler as unknown as Handler;
});
beforeEach(() => {
  ddb.reset();
  ddb.on(GetItemCommand).resolves({ Item: { tenantId: { S: "demo" } } });
});

const listWith = (query: Record<string, string>) =>
  list(
    apiEvent({
      httpMethod: "GET",
      path: "/v1/escrows",
      resource: "/v1/escrows",
      body: null,
      queryStringParameters: query,
      multiValueQueryStringParameters: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])),
    }),
    context,
  );
const createWith = (body: unknown) => create(apiEvent({ body: JSON.stringify(body) }), context);
const errorsOf = (r: Awaited<ReturnType<Handler>>) =>
  (JSON.parse(r.body) as { errors: { path: string; message: string }[] }).errors;

describe("refusals", () => {
  it("names an unknown query parameter by its own path", async () => {
    const res = await listWith({ colour: "red", size: "L" });
    expect(res.statusCode).toBe(400);
    expect(errorsOf(res)).toEqual([
      { path: "colour", message: "is not a known query parameter" },
      { path: "size", message: "is not a known query parameter" },
    ]);
    expect(problemOf(res).detail).toBe(
      "The request is invalid: colour is not a known query parameter; size is not a known query parameter",
    );
  });

  it.each<[string, Record<string, string>, { path: string; message: string }]>([
    ["a limit above 100", { limit: "500" }, { path: "limit", message: "must be at most 100" }],
    ["a fractional limit", { limit: "1.5" }, { path: "limit", message: "must be an integer" }],
    ["a limit that is no number", { limit: "many" }, { path: "limit", message: "must be a number" }],
    ["an empty cursor", { cursor: "" }, { path: "cursor", message: "must not be empty" }],
  ])("words %s", async (_what, query, error) => {
    expect(errorsOf(await listWith(query))).toEqual([error]);
  });

  it.each<[string, Record<string, unknown>, { path: string; message: string }]>([
    [
      "an amount beyond 2^53",
      { amount: 1e20 },
      { path: "amount", message: "must be at most 9007199254740991" },
    ],
    [
      "a fractional amount",
      { amount: 1.5 },
      { path: "amount", message: "must be an integer number of minor units" },
    ],
    ["no buyer", { buyerId: undefined }, { path: "buyerId", message: "is required" }],
    ["a numeric buyer", { buyerId: 7 }, { path: "buyerId", message: "must be a string (not an integer)" }],
    ["an empty seller", { sellerId: "" }, { path: "sellerId", message: "must not be empty" }],
    [
      "a long description",
      { description: "x".repeat(1001) },
      { path: "description", message: "must be at most 1000 characters" },
    ],
    [
      "an unknown kind",
      { kind: "boat" },
      { path: "kind", message: "must be one of goods, service, rental_deposit, vehicle" },
    ],
    [
      "a window of 0 s",
      { windows: { deliverySeconds: 0 } },
      { path: "windows.deliverySeconds", message: "must be at least 1" },
    ],
    ["no currency", { currency: undefined }, { path: "currency", message: "is required" }],
    ["an unknown field", { colour: "red" }, { path: "colour", message: "is not a known field" }],
  ])("lists one error, in its own words, for %s", async (_what, change, error) => {
    const res = await createWith({ ...CREATE_BODY, ...change });
    expect(res.statusCode).toBe(400);
    expect(errorsOf(res)).toEqual([error]);
  });

  it("never passes on zod's own wording, whatever is wrong", async () => {
    const bodies: unknown[] = [
      [],
      null,
      "text",
      { ...CREATE_BODY, metadata: { a: 1 } },
      { ...CREATE_BODY, lease: { startsAt: 1 } },
      {},
    ];
    for (const body of bodies) {
      const res = await createWith(body);
      expect(res.statusCode).toBe(400);
      for (const { message } of errorsOf(res))
        expect(message).not.toMatch(/Invalid input|expected \w+, received|Too (big|small)|Unrecognized key/);
    }
  });

  it("answers a request the authorizer passed no access token's claims for with a Bearer challenge", async () => {
    const res = await create(apiEvent({ clientId: null }), context);
    expect(res.statusCode).toBe(401);
    expect(res.headers?.["WWW-Authenticate"]).toMatch(
      /^Bearer realm="escrow", error="invalid_token", error_description="/,
    );
  });
});
