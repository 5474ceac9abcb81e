import { DynamoDBClient, GetItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { SFNClient } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { type FunctionRoute, SCOPES } from "../../functions/api/routes";
import { REPO_ROOT } from "../../infra/escrow-stack";
import { FUNCTIONS } from "../../infra/service-functions";
import { apiEvent, context, HANDLER_ENV, type Handler, problemOf } from "./api-event";

/**
 * Every handler enforces exactly the scopes its route names in the route
 * table: a token with none of them is 403 `forbidden`, a token with one of
 * them gets past the scope check (here: to a 400, 404 or the answer). A
 * handler that checked a scope of its own would fail one of the two.
 */
const ddb = mockClient(DynamoDBClient);
mockClient(SFNClient);
const ESCROW_ID = "esc_0123456789ABCDEFGHJKMNPQRS";

/** The routes with data; the documents about the API are public (below). */
const apiSpecs = FUNCTIONS.filter((f) => f.route && f.route.scopes.length > 0);
const documentSpecs = FUNCTIONS.filter((f) => f.route?.kind === "document");
const handlers = new Map<string, Handler>();

beforeAll(async () => {
  for (const [name, value] of Object.entries(HANDLER_ENV)) vi.stubEnv(name, value);
  for (const spec of [...apiSpecs, ...documentSpecs])
    handlers.set(spec.id, (await import(`${REPO_ROOT}/${spec.entry}`)).handler as Handler);
});

describe("the documents about the API", () => {
  it.each(documentSpecs.map((s) => [s.id, s.route as FunctionRoute] as const))(
    "%s answers without any token, from no table",
    async (id, route) => {
      const anonymous = {
        ...requestFor(route, ""),
        requestContext: { domainName: "api.test", path: route.path },
      };
      const res = await (handlers.get(id) as Handler)(anonymous as never, context);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers?.["Cache-Control"]).toBe("public, max-age=300");
      const body = JSON.parse(res.body);
      expect(body.openapi ?? body.items?.length).toBeTruthy();
      expect(ddb.calls()).toHaveLength(0);
    },
  );
});

beforeEach(() => {
  ddb.reset();
  ddb.on(GetItemCommand).resolves({});
  ddb.on(QueryCommand).resolves({ Items: [] });
  ddb.on(GetItemCommand, { Key: { PK: { S: "CLIENT#demo-marketplace" }, SK: { S: "CLIENT" } } }).resolves({
    Item: { tenantId: { S: "demo" } },
  });
});

/** A request that passes nothing after the scope check: a body of the wrong shape, an escrow that is not there. */
const requestFor = (route: FunctionRoute, scope: string) =>
  apiEvent({
    httpMethod: route.method,
    resource: route.path,
    path: route.path.replace("{id}", ESCROW_ID),
    pathParameters: route.path.includes("{id}") ? { id: ESCROW_ID } : null,
    body: route.method === "POST" ? JSON.stringify({ unexpected: true }) : null,
    scope,
  });

const cases = apiSpecs.flatMap((spec) =>
  Object.values(SCOPES).map((scope) => [spec.id, scope, spec.route as FunctionRoute] as const),
);

describe("each handler enforces its route's scopes from the route table", () => {
  it.each(cases)("%s with a token of scope %s", async (id, scope, route) => {
    const res = await (handlers.get(id) as Handler)(requestFor(route, scope), context);
    if (route.scopes.includes(scope as never)) {
      expect(res.statusCode, res.body).not.toBe(403);
      // Past the scope check, the request fails on what it is: its body, or an escrow that is not there.
      expect([200, 400, 404], res.body).toContain(res.statusCode);
    } else {
      expect(res.statusCode, res.body).toBe(403);
      expect(problemOf(res)).toMatchObject({ code: "forbidden" });
      for (const needed of route.scopes) expect(problemOf(res).detail).toContain(needed);
    }
  });

  it.each(apiSpecs.map((s) => [s.id, s.route as FunctionRoute] as const))(
    "%s refuses a token with no scope at all (403) and a request without claims (401)",
    async (id, route) => {
      const handler = handlers.get(id) as Handler;
      expect((await handler(requestFor(route, ""), context)).statusCode).toBe(403);
      const anonymous = {
        ...requestFor(route, ""),
        requestContext: apiEvent({ clientId: null }).requestContext,
      };
      expect((await handler(anonymous, context)).statusCode).toBe(401);
    },
  );
});
