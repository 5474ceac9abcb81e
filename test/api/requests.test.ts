import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { inspectJsonText } from "../../functions/api/json-text";
import { createEscrow, performAction } from "../../functions/app/escrow-service";
import * as errors from "../../functions/domain/errors";
import { apiEvent, CREATE_BODY, context, HANDLER_ENV, type Handler, problemOf } from "./api-event";

/**
 * The API layer on its own: what reaches the service (the parsed command,
 * the request hash) and how the service's failures are answered. The service
 * is replaced by spies; the tenant directory reads a mocked DynamoDB.
 */
vi.hoisted(() => {
  // Before any module creates the logger (failures are logged at 5xx; the tests provoke many).
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
});
vi.mock("../../functions/app/escrow-service", async (importOriginal) => ({
  ...(await importOriginal<object>()),
  createEscrow: vi.fn(),
  performAction: vi.fn(),
}));

const ddb = mockClient(DynamoDBClient);
const ESCROW_ID = "esc_0123456789ABCDEFGHJKMNPQRS";
const created = { statusCode: 201, escrow: { id: ESCROW_ID }, replayed: false };
const accepted = { statusCode: 202, escrow: { id: ESCROW_ID }, replayed: false };

let create: Handler;
let deliver: Handler;
let extend: Handler;

beforeAll(async () => {
  for (const [name, value] of Object.entries(HANDLER_ENV)) vi.stubEnv(name, value);
  create = (await import("../../functions/api/create-escrow")).handler as unknown as Handler;
  deliver = (await import("../../functions/api/record-delivery")).handler as unknown as Handler;
  extend = (await import("../../functions/api/extend-confirmation")).handler as unknown as Handler;
});

beforeEach(() => {
  vi.mocked(createEscrow)
    .mockReset()
    .mockResolvedValue(created as never);
  vi.mocked(performAction)
    .mockReset()
    .mockResolvedValue(accepted as never);
  ddb.reset();
  ddb.on(GetItemCommand, { Key: { PK: { S: "CLIENT#demo-marketplace" }, SK: { S: "CLIENT" } } }).resolves({
    Item: { tenantId: { S: "demo" } },
  });
});

/** A create request whose body is this exact text (number tokens and escapes as written). */
const createWith = (body: string) => create(apiEvent({ body }), context);
const createText = (fields: string) =>
  `{"buyerId":"u-1","sellerId":"u-2","currency":"CNY","paymentMethod":"pm_sandbox_ok",${fields}}`;

const actionEvent = (
  segment: string,
  body: string,
  headers: Record<string, string> = {},
): APIGatewayProxyEvent =>
  apiEvent({
    path: `/v1/escrows/${ESCROW_ID}/${segment}`,
    resource: `/v1/escrows/{id}/${segment}`,
    pathParameters: { id: ESCROW_ID },
    headers: { "Content-Type": "application/json", ...headers },
    body,
  });

const expect400At = async (answer: Promise<{ statusCode: number; body: string }>, path: string) => {
  const res = await answer;
  expect(res.statusCode, res.body).toBe(400);
  expect(problemOf(res as never).code).toBe("validation_error");
  expect(problemOf(res as never).errors?.map((e) => e.path)).toContain(path);
};

describe("numbers are integers as written", () => {
  it.each([
    ["a fraction JSON.parse rounds away", '"amount":12999.0000000000001', "amount"],
    ["an exponent", '"amount":1.2999e4', "amount"],
    ["an integer exponent", '"amount":12999e0', "amount"],
    ["a zero fraction", '"amount":12999,"fee":390.0', "fee"],
    [
      "a window in floating point",
      '"amount":12999,"windows":{"deliverySeconds":604800.0}',
      "windows.deliverySeconds",
    ],
  ])("rejects %s with 400 at its field, and creates nothing", async (_, fields, path) => {
    await expect400At(createWith(createText(fields)), path);
    expect(createEscrow).not.toHaveBeenCalled();
  });

  it("accepts integer literals, and numbers inside strings are text", async () => {
    const res = await createWith(createText('"amount":12999,"fee":0,"description":"1.5 kg, 2e3 mm"'));
    expect(res.statusCode, res.body).toBe(201);
  });

  it("rejects an action's integer written as a float", async () => {
    await expect400At(
      extend(actionEvent("extension", '{"actorId":"u-1","seconds":3600.0000000000001}'), context),
      "seconds",
    );
    expect(performAction).not.toHaveBeenCalled();
  });

  it("names the path of every non-integer number token, and of every __proto__ member", () => {
    const text =
      '{"a":[1,2.5,{"b":1e3}],"c":"1.5 \\" 2.5","d":-0.0,"e":{"f":[[0.1]]},"g":7,"__proto__":{"__proto__":1}}';
    expect(inspectJsonText(text)).toEqual({
      nonIntegers: ["a.1", "a.2.b", "d", "e.f.0.0"],
      reservedKeys: ["__proto__", "__proto__.__proto__"],
    });
    expect(inspectJsonText("12.5").nonIntegers).toEqual(["(body)"]);
  });
});

describe("metadata keys", () => {
  it.each([
    ["a string", '{"__proto__":"x"}'],
    ["an object", '{"__proto__":{"polluted":"yes"}}'],
  ])("refuse __proto__ (holding %s) with 400 instead of dropping it", async (_, metadata) => {
    await expect400At(createWith(createText(`"amount":12999,"metadata":${metadata}`)), "metadata.__proto__");
    expect(createEscrow).not.toHaveBeenCalled();
  });

  it("refuse __proto__ at the top of an action body too", async () => {
    const res = await deliver(actionEvent("delivery", '{"actorId":"u-2","__proto__":{}}'), context);
    expect(res.statusCode).toBe(400);
    expect(problemOf(res).detail).toContain("__proto__");
    expect(performAction).not.toHaveBeenCalled();
  });

  it("keep other keys, constructor included, as given", async () => {
    const res = await createWith(createText('"amount":12999,"metadata":{"constructor":"x","channel":"app"}'));
    expect(res.statusCode, res.body).toBe(201);
    expect(vi.mocked(createEscrow).mock.calls[0]?.[2].metadata).toEqual({ constructor: "x", channel: "app" });
  });
});

describe("text is well-formed Unicode", () => {
  it.each([
    ["description", '"description":"bike \\ud800"', "description"],
    ["a low surrogate alone", '"description":"\\udc00 bike"', "description"],
    ["buyerId", '"buyerId":"u-\\ud83d"', "buyerId"],
    ["a metadata value", '"metadata":{"k":"\\ud800"}', "metadata.k"],
    ["a metadata key", '"metadata":{"\\udfff":"v"}', "metadata.\udfff"],
  ])("rejects a lone surrogate in %s with 400", async (_, field, path) => {
    const text = createText(`"amount":12999,${field}`).replace(
      '"buyerId":"u-1",',
      field.startsWith('"buyerId"') ? "" : '"buyerId":"u-1",',
    );
    await expect400At(createWith(text), path);
    expect(createEscrow).not.toHaveBeenCalled();
  });

  it("rejects a lone surrogate in an action's text", async () => {
    await expect400At(
      deliver(actionEvent("delivery", '{"actorId":"u-2","note":"\\ud800"}'), context),
      "note",
    );
    expect(performAction).not.toHaveBeenCalled();
  });

  it("accepts surrogate pairs (emoji)", async () => {
    const res = await createWith(createText('"amount":12999,"description":"bike \\ud83d\\udeb2 🚲"'));
    expect(res.statusCode, res.body).toBe(201);
  });
});

describe("the request an Idempotency-Key is bound to", () => {
  const hashOf = async (
    handler: Handler,
    event: APIGatewayProxyEvent,
    spy: typeof performAction | typeof createEscrow,
  ) => {
    const res = await handler(event, context);
    expect(res.statusCode, res.body).toBeLessThan(300);
    const calls = vi.mocked(spy).mock.calls;
    const idem = calls.at(-1)?.find((arg) => typeof arg === "object" && arg !== null && "requestHash" in arg);
    const hash = (idem as { requestHash: string } | undefined)?.requestHash;
    expect(hash).toMatch(/^[0-9a-f]{32}$/);
    return hash;
  };
  const delivery = (body: string) => actionEvent("delivery", body, { "Idempotency-Key": "k-1" });

  it("is the same whether an optional field is null or absent, or keys come in another order", async () => {
    const absent = await hashOf(deliver, delivery('{"actorId":"u-2","carrier":"SF"}'), performAction);
    const nulls = await hashOf(
      deliver,
      delivery('{"note":null,"actorId":"u-2","carrier":"SF","trackingNumber":null}'),
      performAction,
    );
    expect(nulls).toBe(absent);
    const other = await hashOf(
      deliver,
      delivery('{"actorId":"u-2","carrier":"SF","note":"left at the door"}'),
      performAction,
    );
    expect(other).not.toBe(absent);
    const createdNull = await hashOf(
      create,
      apiEvent({ body: JSON.stringify({ ...CREATE_BODY, description: null }) }),
      createEscrow,
    );
    const createdAbsent = await hashOf(create, apiEvent({ body: JSON.stringify(CREATE_BODY) }), createEscrow);
    expect(createdNull).toBe(createdAbsent);
  });

  it("hands the service the action's command, with no nulls", async () => {
    await deliver(delivery('{"actorId":"u-2","carrier":"SF","note":null}'), context);
    const command = vi.mocked(performAction).mock.calls[0]?.[3];
    expect(command).toEqual({ action: "delivery", actorId: "u-2", carrier: "SF" });
    expect(Object.values(command ?? {})).not.toContain(null);
  });
});

describe("failures of the service", () => {
  const sdkError = (name: string, fields: Record<string, unknown>) =>
    Object.assign(new Error(`${name}: arn:aws:dynamodb:us-east-1:123456789012:table/secret`), {
      name,
      ...fields,
    });

  const transient: Array<[string, unknown]> = [
    [
      "DependencyUnavailableError",
      new errors.DependencyUnavailableError("Step Functions", { cause: new Error("secret") }),
    ],
    [
      "ProvisionedThroughputExceededException",
      sdkError("ProvisionedThroughputExceededException", { $metadata: { httpStatusCode: 400 } }),
    ],
    ["ThrottlingException", sdkError("ThrottlingException", { $metadata: { httpStatusCode: 400 } })],
    ["RequestLimitExceeded", sdkError("RequestLimitExceeded", { $metadata: { httpStatusCode: 400 } })],
    [
      "TooManyRequestsException",
      sdkError("TooManyRequestsException", { $metadata: { httpStatusCode: 429 } }),
    ],
    [
      "InternalServerError (500)",
      sdkError("InternalServerError", { $fault: "server", $metadata: { httpStatusCode: 500 } }),
    ],
    ["ServiceUnavailable (503)", sdkError("ServiceUnavailable", { $metadata: { httpStatusCode: 503 } })],
    [
      "an error the SDK marks retryable",
      sdkError("SomethingNew", { $retryable: {}, $metadata: { httpStatusCode: 400 } }),
    ],
    ["TimeoutError", sdkError("TimeoutError", {})],
    ["ECONNRESET", sdkError("Error", { code: "ECONNRESET" })],
    ["ECONNREFUSED", sdkError("Error", { code: "ECONNREFUSED" })],
    ["socket hang up", sdkError("Error", { message: "socket hang up" })],
    [
      "a network error as the cause",
      new Error("wrapped", { cause: sdkError("Error", { code: "ETIMEDOUT" }) }),
    ],
  ];

  it.each(transient)("%s: 503 unavailable with Retry-After, nothing internal", async (_, error) => {
    vi.mocked(performAction).mockRejectedValue(error);
    const res = await deliver(actionEvent("delivery", '{"actorId":"u-2"}'), context);
    expect(res.statusCode).toBe(503);
    expect(res.headers?.["Content-Type"]).toBe("application/problem+json");
    expect(Number(res.headers?.["Retry-After"])).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers?.["Retry-After"])).toBeLessThanOrEqual(5);
    expect(problemOf(res)).toMatchObject({
      status: 503,
      code: "unavailable",
      type: "urn:escrow:problem:unavailable",
    });
    expect(res.body).not.toMatch(/secret|arn:|Step Functions|ECONN|socket/);
  });

  it.each([
    ["a TypeError", new TypeError("Cannot read properties of undefined (reading 'secret')")],
    [
      "an SDK client error (a bad request we built)",
      sdkError("ValidationException", { $fault: "client", $metadata: { httpStatusCode: 400 } }),
    ],
    [
      "AccessDeniedException (a missing grant)",
      sdkError("AccessDeniedException", { $metadata: { httpStatusCode: 400 } }),
    ],
    ["a thrown string", "secret"],
  ])("%s is a bug: 500 internal_error without detail or Retry-After", async (_, error) => {
    vi.mocked(performAction).mockRejectedValue(error);
    const res = await deliver(actionEvent("delivery", '{"actorId":"u-2"}'), context);
    expect(res.statusCode).toBe(500);
    expect(res.headers?.["Retry-After"]).toBeUndefined();
    expect(problemOf(res)).toMatchObject({ status: 500, code: "internal_error" });
    expect(res.body).not.toMatch(/secret|arn:|Cannot read/);
  });

  it.each([
    [new errors.ValidationError("bad", [{ path: "amount", message: "too big" }]), 400, "validation_error"],
    [new errors.ForbiddenError("Only the seller may deliver."), 403, "forbidden"],
    [new errors.NotFoundError(), 404, "not_found"],
    [new errors.InvalidTransitionError("not now"), 409, "invalid_transition"],
    [new errors.IdempotencyInProgressError(), 409, "idempotency_in_progress"],
    [new errors.IdempotencyKeyReusedError(), 422, "idempotency_key_reused"],
    [new errors.HandoverCodeInvalidError(), 422, "handover_code_invalid"],
  ])("%s: its kind's status and code, with its message as detail", async (error, status, code) => {
    vi.mocked(performAction).mockRejectedValue(error);
    const res = await deliver(actionEvent("delivery", '{"actorId":"u-2"}'), context);
    expect(res.statusCode).toBe(status);
    expect(problemOf(res)).toMatchObject({ status, code, detail: error.message });
  });
});
