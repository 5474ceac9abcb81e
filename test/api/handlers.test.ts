import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { SendTaskSuccessCommand, SFNClient, StartExecutionCommand, TaskTimedOut } from "@aws-sdk/client-sfn";
import { marshall } from "@aws-sdk/util-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-vitest/extend";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { storedTerms } from "../../functions/adapters/stored-escrow";
import { at, Harness } from "../support/escrows";
import { context, apiEvent as event, type Handler } from "./api-event";

/**
 * Handler tests: the real handlers with their SDK clients mocked, as
 * Powertools' testing guide does. What the gateway does (JWT check) is
 * represented by the authorizer claims in the event.
 */
const ddb = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);
const STATE_MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:escrow";

let create: Handler;
let confirm: Handler;
let getEscrow: Handler;

beforeAll(async () => {
  vi.stubEnv("TABLE_NAME", "escrow-table");
  vi.stubEnv("STATE_MACHINE_ARN", STATE_MACHINE_ARN);
  vi.stubEnv("AWS_REGION", "us-east-1");
  vi.stubEnv("POWERTOOLS_LOG_LEVEL", "SILENT");
  create = (await import("../../functions/api/create-escrow")).handler as unknown as Handler;
  confirm = (await import("../../functions/api/confirm-receipt")).handler as unknown as Handler;
  getEscrow = (await import("../../functions/api/get-escrow")).handler as unknown as Handler;
});

const parse = (r: APIGatewayProxyResult) => JSON.parse(r.body);

beforeEach(() => {
  ddb.reset();
  sfn.reset();
  ddb.on(GetItemCommand).resolves({});
  // The tenant directory: demo-marketplace and demo-ops belong to tenant "demo".
  ddb.on(GetItemCommand, { Key: { PK: { S: "CLIENT#demo-marketplace" }, SK: { S: "CLIENT" } } }).resolves({
    Item: { tenantId: { S: "demo" } },
  });
  ddb.on(GetItemCommand, { Key: { PK: { S: "CLIENT#demo-ops" }, SK: { S: "CLIENT" } } }).resolves({
    Item: { tenantId: { S: "demo" } },
  });
});

describe("POST /v1/escrows", () => {
  it("creates the escrow with one conditional put, starts the execution named after it, answers 201", async () => {
    ddb.on(PutItemCommand).resolves({});
    sfn.on(StartExecutionCommand).resolves({ executionArn: "arn:x" });
    const res = await create(event(), context);
    expect(res.statusCode).toBe(201);
    const escrow = parse(res);
    expect(escrow).toMatchObject({
      status: "PENDING_FUNDS",
      amount: 12999,
      currency: "CNY",
      fee: 0,
      version: 1,
    });
    expect(res.headers?.Location).toBe(`/v1/escrows/${escrow.id}`);
    expect(ddb).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: "escrow-table",
      ConditionExpression: "attribute_not_exists(PK)",
    });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE_ARN,
      name: escrow.id,
    });
    // the completed request is remembered for replays (tenant-scoped key)
    const puts = ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input.Item?.PK?.S);
    expect(puts).toEqual([`T#demo#E#${escrow.id}`, expect.stringMatching(/^T#demo#K#[0-9a-f]{32}$/)]);
  });

  it.each([
    ["a float amount", { amount: 1.5 }, "amount"],
    ["a string amount", { amount: "100" }, "amount"],
    ["a zero amount", { amount: 0 }, "amount"],
    ["a negative amount", { amount: -1 }, "amount"],
    ["an amount above MAX_SAFE_INTEGER", { amount: 2 ** 53 }, "amount"],
    ["an unsupported currency", { currency: "XYZ" }, "currency"],
    ["a lower-case currency", { currency: "cny" }, "currency"],
    ["the same buyer and seller", { sellerId: "u-1" }, "sellerId"],
    ["a fee above the amount", { fee: 13000 }, "fee"],
    ["an unknown field", { colour: "red" }, "colour"],
    ["a window of 0 s", { windows: { deliverySeconds: 0 } }, "windows.deliverySeconds"],
    ["a window over 90 days", { windows: { disputeSeconds: 90 * 86400 + 1 } }, "windows.disputeSeconds"],
    [
      "21 metadata keys",
      { metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, "v"])) },
      "metadata",
    ],
    ["a live payment method", { paymentMethod: "pm_card_visa" }, "paymentMethod"],
    ["an unknown kind", { kind: "boat" }, "kind"],
    ["a car without its deposit and vehicle", { kind: "vehicle" }, "deposit"],
  ])("rejects %s with a problem document and writes nothing", async (_, change, path) => {
    const body = {
      buyerId: "u-1",
      sellerId: "u-2",
      amount: 12999,
      currency: "CNY",
      paymentMethod: "pm_sandbox_ok",
      ...change,
    };
    const res = await create(event({ body: JSON.stringify(body) }), context);
    expect(res.statusCode).toBe(400);
    expect(res.headers?.["Content-Type"]).toBe("application/problem+json");
    const problem = parse(res);
    expect(problem).toMatchObject({
      status: 400,
      code: "validation_error",
      type: "urn:escrow:problem:validation_error",
    });
    expect(problem.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(ddb).not.toHaveReceivedCommand(PutItemCommand);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it.each([
    ["no body", { body: null }],
    ["malformed JSON", { body: "{" }],
    ["a non-JSON content type", { headers: { "Content-Type": "text/plain", "Idempotency-Key": "k" } }],
    ["a body over 16 KiB", { body: JSON.stringify({ description: "x".repeat(16 * 1024) }) }],
    ["a missing Idempotency-Key", { headers: { "Content-Type": "application/json" } }],
    [
      "an over-long Idempotency-Key",
      { headers: { "Content-Type": "application/json", "Idempotency-Key": "k".repeat(256) } },
    ],
  ])("rejects %s with 400", async (_, change) => {
    const res = await create(event(change as Partial<APIGatewayProxyEvent>), context);
    expect(res.statusCode).toBe(400);
    expect(parse(res).code).toBe("validation_error");
    expect(ddb).not.toHaveReceivedCommand(PutItemCommand);
  });

  it("answers 401 without authorizer claims, 403 with the wrong scope or an unregistered client", async () => {
    expect((await create(event({ clientId: null }), context)).statusCode).toBe(401);
    const wrongScope = await create(event({ scope: "escrow/ops", clientId: "demo-ops" }), context);
    expect(wrongScope.statusCode).toBe(403);
    expect(parse(wrongScope).code).toBe("forbidden");
    ddb.on(GetItemCommand, { Key: { PK: { S: "CLIENT#stranger" }, SK: { S: "CLIENT" } } }).resolves({});
    expect((await create(event({ clientId: "stranger" }), context)).statusCode).toBe(403);
  });

  it("never leaks internal detail in a 500", async () => {
    ddb.on(PutItemCommand).rejects(new Error("connect ECONNREFUSED 10.0.0.1:443 secret-table-arn"));
    const res = await create(
      event({ headers: { "Content-Type": "application/json", "Idempotency-Key": "k-500" } }),
      context,
    );
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toMatch(/ECONNREFUSED|secret/);
    expect(parse(res)).toMatchObject({ code: "internal_error", status: 500 });
  });
});

describe("POST /v1/escrows/{id}/confirmation", () => {
  const h = new Harness();
  h.fund();
  h.act({ action: "delivery", actorId: "u-seller" }, new Date(h.state.createdAt));
  const id = h.t.id;
  const escrowItem = () => ({
    Item: marshall(
      { PK: `T#demo#E#${id}`, terms: storedTerms(h.t), history: h.history },
      { removeUndefinedValues: true },
    ),
  });
  const confirmEvent = (actorId = "u-buyer") =>
    event({
      path: `/v1/escrows/${id}/confirmation`,
      resource: "/v1/escrows/{id}/confirmation",
      pathParameters: { id },
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ actorId }),
    });

  beforeEach(() => {
    // The history above is built at T0 (test/support/escrows.ts): the handler's clock is pinned an hour
    // later, inside the confirmation window, whatever today's date is. Only Date is faked: the SDK's
    // mocks still run on real timers.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(at(3600));
    ddb
      .on(GetItemCommand, { Key: { PK: { S: `T#demo#E#${id}` }, SK: { S: "ESCROW" } } })
      .resolves(escrowItem());
    ddb.on(GetItemCommand, { Key: { PK: { S: `T#demo#E#${id}` }, SK: { S: "WAIT" } } }).resolves({
      Item: marshall({ token: "token-1", seenVersion: 3, since: h.state.updatedAt }),
    });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("claims with one update conditioned on the version read, then ends the wait with the step", async () => {
    ddb.on(UpdateItemCommand).resolves({});
    sfn.on(SendTaskSuccessCommand).resolves({});
    const res = await confirm(confirmEvent(), context);
    expect(res.statusCode).toBe(202);
    expect(parse(res)).toMatchObject({
      status: "DELIVERED",
      pendingAction: "confirmation",
      deadline: null,
      version: 4,
    });
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
    const update = ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input;
    // …and on the reconciler's marks as read (none yet: a transition never overwrites a newer mark).
    expect(update?.ConditionExpression).toBe("#version = :expected AND attribute_not_exists(mv)");
    expect(update?.ExpressionAttributeValues?.[":expected"]).toEqual({ N: "3" });
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: "token-1" });
    const output = JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.output as string);
    expect(output).toMatchObject({ outcome: "release", version: 4 });
  });

  it("keeps the 202 when the wait already timed out: the timeout branch carries the claim out", async () => {
    ddb.on(UpdateItemCommand).resolves({});
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: "Task Timed Out", $metadata: {} }));
    expect((await confirm(confirmEvent(), context)).statusCode).toBe(202);
  });

  it("answers 409 when the escrow changed underneath and the action no longer applies", async () => {
    const moved = new Harness(h.t);
    moved.history = [...h.history];
    moved.act({ action: "dispute", actorId: "u-seller", reason: "x" }, new Date(h.state.createdAt));
    ddb
      .on(GetItemCommand, { Key: { PK: { S: `T#demo#E#${id}` }, SK: { S: "ESCROW" } } })
      .resolvesOnce(escrowItem())
      .resolves({
        Item: marshall(
          { PK: `T#demo#E#${id}`, terms: storedTerms(moved.t), history: moved.history },
          { removeUndefinedValues: true },
        ),
      });
    ddb
      .on(UpdateItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: "failed", $metadata: {} }));
    const res = await confirm(confirmEvent(), context);
    expect(res.statusCode).toBe(409);
    expect(parse(res)).toMatchObject({ code: "invalid_transition" });
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it("answers 403 to the seller and 404 to another tenant, changing nothing", async () => {
    expect((await confirm(confirmEvent("u-seller"), context)).statusCode).toBe(403);
    ddb.on(GetItemCommand, { Key: { PK: { S: "CLIENT#other-marketplace" }, SK: { S: "CLIENT" } } }).resolves({
      Item: { tenantId: { S: "other" } },
    });
    ddb.on(GetItemCommand, { Key: { PK: { S: `T#other#E#${id}` }, SK: { S: "ESCROW" } } }).resolves({});
    const res = await confirm(
      { ...confirmEvent(), requestContext: event({ clientId: "other-marketplace" }).requestContext },
      context,
    );
    expect(res.statusCode).toBe(404);
    expect(ddb).not.toHaveReceivedCommand(UpdateItemCommand);
  });
});

describe("GET /v1/escrows/{id}", () => {
  it("answers 404 for a malformed id without reading the table", async () => {
    const res = await getEscrow(
      event({
        httpMethod: "GET",
        body: null,
        pathParameters: { id: "nope" },
        scope: "escrow/ops",
        clientId: "demo-ops",
      }),
      context,
    );
    expect(res.statusCode).toBe(404);
    expect(
      ddb.commandCalls(GetItemCommand).filter((c) => c.args[0].input.Key?.SK?.S === "ESCROW"),
    ).toHaveLength(0);
  });
});
