import { DynamoDBClient, GetItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { apiEvent, context, HANDLER_ENV, type Handler, problemOf } from "./api-event";

/**
 * A signed-in person's token (API.md v1.2): the tenant is the user's own,
 * from the token's `tenant` claim — never the console's app client, which
 * every tenant shares — and a user without one is refused.
 */
const ddb = mockClient(DynamoDBClient);
let list: Handler;

beforeAll(async () => {
  for (const [name, value] of Object.entries(HANDLER_ENV)) vi.stubEnv(name, value);
  list = (await import("../../functions/api/list-ops-escrows")).handler as Handler;
});
beforeEach(() => {
  ddb.reset();
  ddb.on(QueryCommand).resolves({ Items: [] });
  // Were the console's client looked up, it would name a tenant: the handler must not ask.
  ddb.on(GetItemCommand).resolves({ Item: { tenantId: { S: "demo" } } });
});

const person = (claims: Record<string, string>): APIGatewayProxyEvent => {
  const event = apiEvent({
    httpMethod: "GET",
    path: "/v1/ops/escrows",
    resource: "/v1/ops/escrows",
    body: null,
  });
  (event.requestContext as unknown as { authorizer: unknown }).authorizer = {
    claims: { client_id: "ops-console", token_use: "access", scope: "openid escrow/ops", ...claims },
  };
  return event;
};

describe("a signed-in person", () => {
  it("works in the tenant their token names", async () => {
    const res = await list(person({ sub: "sub-olga", username: "ops-olga", tenant: "other" }), context);
    expect(res.statusCode, res.body).toBe(200);
    const queried = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input.ExpressionAttributeValues);
    expect(JSON.stringify(queried)).toContain("T#other#Q");
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  it("without a tenant in the token is refused, whatever the client", async () => {
    const res = await list(person({ sub: "sub-x", username: "x" }), context);
    expect(res.statusCode).toBe(403);
    expect(problemOf(res).detail).toMatch(/belongs to no marketplace/);
  });

  it("needs the ops scope like anyone", async () => {
    const res = await list(person({ sub: "s", username: "u", tenant: "demo", scope: "openid" }), context);
    expect(res.statusCode).toBe(403);
  });
});
