import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { KIND_ROUTES } from "../../functions/domain/kinds/api";
import { FUNCTIONS } from "../../infra/service-functions";
import { apiEvent, context, HANDLER_ENV, type Handler, problemOf } from "./api-event";

/**
 * The one Lambda entry of the kinds' own actions (functions/api/kind-action.ts):
 * each kind route is a function of its own built from it, and it serves the
 * route API Gateway names, with that route's body and who may act.
 */
const ddb = mockClient(DynamoDBClient);
const ESCROW_ID = "esc_0123456789ABCDEFGHJKMNPQRS";
let handler: Handler;

beforeAll(async () => {
  for (const [name, value] of Object.entries(HANDLER_ENV)) vi.stubEnv(name, value);
  ddb.on(GetItemCommand).resolves({});
  ddb.on(GetItemCommand, { Key: { PK: { S: "CLIENT#demo-marketplace" }, SK: { S: "CLIENT" } } }).resolves({
    Item: { tenantId: { S: "demo" } },
  });
  handler = (await import("../../functions/api/kind-action")).handler as Handler;
});

const post = (resource: string, body: unknown) =>
  apiEvent({
    httpMethod: "POST",
    resource,
    path: resource.replace("{id}", ESCROW_ID),
    pathParameters: { id: ESCROW_ID },
    body: JSON.stringify(body),
  });

describe("the kinds' action entry", () => {
  it("is the entry of every kind route's function, and of no other", () => {
    const fromIt = FUNCTIONS.filter((f) => f.entry === "functions/api/kind-action.ts").map((f) => f.id);
    expect(fromIt.sort()).toEqual(KIND_ROUTES.map((r) => r.id).sort());
    expect(fromIt).toEqual(expect.arrayContaining(["MoveOut", "InspectVehicle"]));
  });

  it("validates each body against its own route: an inspection's rules, not a move-out's", async () => {
    const inspection = await handler(
      post("/v1/escrows/{id}/inspection", { actorId: "u-1", accept: false }),
      context,
    );
    expect(inspection.statusCode, inspection.body).toBe(400);
    expect(problemOf(inspection).errors).toEqual([{ path: "reason", message: "is required when rejecting" }]);
    // The same body is a valid move-out (actorId, an optional note): past validation, to the escrow, not there.
    const moveOut = await handler(post("/v1/escrows/{id}/move-out", { actorId: "u-1" }), context);
    expect(moveOut.statusCode, moveOut.body).toBe(404);
  });

  it("answers a 404 problem for a route it does not serve", async () => {
    const res = await handler(post("/v1/escrows/{id}/delivery", { actorId: "u-1" }), context);
    expect(res.statusCode).toBe(404);
    expect(res.headers?.["Content-Type"]).toBe("application/problem+json");
    expect(problemOf(res)).toMatchObject({ code: "not_found", detail: expect.stringContaining("delivery") });
  });
});
