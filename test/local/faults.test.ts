import { createServer, type Server } from "node:http";
import { fileURLToPath } from "node:url";
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  DescribeExecutionCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LOCAL_HOOKS, localHooks } from "../../functions/adapters/local-hooks";
import { DynamoFaults, type StoreProcess, startStoreProcess } from "../../infra/local/dynamo/index";
import { withCapacity } from "../../infra/local/dynamo/meter";
import { createFaultsListener, FaultService, syncDynamoFaults } from "../../infra/local/faults/index";
import { installLocalHooks } from "../../infra/local/hooks";
import { LocalSns } from "../../infra/local/sns/index";
import {
  createSfnHttpServer,
  type HistoryEvent,
  LocalStepFunctions,
} from "../../infra/local/step-functions/index";
import { KEYS_ONLY_TABLE } from "../support/dynalite";
import { SM_ARN } from "./fixtures/definitions";
import { closeServer, fakeCredentials, listen, removeDir, tempDir, waitFor } from "./helpers";

/**
 * `/_local/faults` (API.md, "Local mode additions"): the registry, its HTTP
 * route, and each target failing the way the real service fails transiently,
 * with no effect (or, for `ambiguous` DynamoDB writes, with the effect and no
 * answer).
 */

const T0 = Date.parse("2026-11-25T10:00:00.000Z");
const fn = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;
const TOPIC = "arn:aws:sns:us-east-1:123456789012:events";

let dir: string;
const closers: Array<() => Promise<unknown>> = [];
beforeEach(async () => {
  dir = await tempDir("faults");
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await removeDir(dir);
});

function clock(start = T0) {
  const c = { t: start, now: () => c.t };
  return c;
}

async function serve(server: Server): Promise<string> {
  closers.push(() => closeServer(server));
  return listen(server);
}

describe("FaultService", () => {
  it("fails a target's calls (one operation or all) until the rule expires on its clock", () => {
    const c = clock();
    const faults = new FaultService({ now: c.now });
    const all = faults.add({ target: "sns", mode: "error", seconds: 10 });
    const one = faults.add({ target: "dynamodb", operation: "UpdateItem", mode: "ambiguous", seconds: 60 });
    expect(all).toMatchObject({ target: "sns", mode: "error", probability: 1, until: T0 + 10_000 });
    expect(all.id).toMatch(/^flt_/);
    expect(faults.check("sns", "Publish")).toBe("error");
    expect(faults.check("dynamodb", "UpdateItem")).toBe("ambiguous");
    expect(faults.check("dynamodb", "GetItem")).toBeNull();
    expect(faults.check("payments", "payout")).toBeNull();

    c.t = T0 + 9_999;
    expect(faults.check("sns", "Publish")).toBe("error");
    c.t = T0 + 10_000; // expired: dropped from checks and from the list
    expect(faults.check("sns", "Publish")).toBeNull();
    expect(faults.list().map((r) => r.id)).toEqual([one.id]);
    expect(faults.get(all.id)).toBeUndefined();
  });

  it("applies each rule's probability: 0 never fires, 1 always, 0.3 about 30% of calls", () => {
    const never = new FaultService();
    never.add({ target: "lambda", mode: "error", probability: 0, seconds: 60 });
    for (let i = 0; i < 2000; i++) expect(never.check("lambda", "Invoke")).toBeNull();

    const always = new FaultService({ random: () => 0.999_999 });
    always.add({ target: "lambda", mode: "error", seconds: 60 });
    expect(always.check("lambda", "Invoke")).toBe("error");

    // A drawn number below the probability fires.
    const draws = [0.29, 0.31];
    const some = new FaultService({ random: () => draws.shift() as number });
    some.add({ target: "payments", operation: "payout", mode: "error", probability: 0.3, seconds: 60 });
    expect(some.check("payments", "payout")).toBe("error");
    expect(some.check("payments", "payout")).toBeNull();
  });

  it("ends rules early, one or all, and says when the rules change", () => {
    const faults = new FaultService();
    const changes: number[] = [];
    faults.onChange(() => changes.push(faults.list().length));
    const a = faults.add({ target: "sns", mode: "error", seconds: 60 });
    faults.add({ target: "lambda", mode: "error", seconds: 60 });
    expect(faults.remove(a.id)).toBe(true);
    expect(faults.remove(a.id)).toBe(false);
    faults.clear();
    faults.clear(); // nothing left: no change
    expect(changes).toEqual([1, 2, 1, 0]);
    expect(faults.check("lambda", "Invoke")).toBeNull();
  });
});

describe("/_local/faults", () => {
  let base: string;
  let c: ReturnType<typeof clock>;
  let faults: FaultService;
  let settled = 0;

  beforeEach(async () => {
    settled = 0;
    c = clock();
    faults = new FaultService({ now: c.now });
    const listener = createFaultsListener(faults, { afterChange: async () => void settled++ });
    base = await serve(
      createServer((req, res) => {
        void listener(req, res).then((handled) => {
          if (!handled) res.writeHead(418).end("next");
        });
      }),
    );
  });

  const post = (body: unknown) =>
    fetch(`${base}/_local/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  it("creates a rule: 201 { id, until }, listed while in force, gone once expired", async () => {
    const res = await post({ target: "dynamodb", operation: "PutItem", mode: "ambiguous", seconds: 30 });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: string; until: string };
    expect(Object.keys(created).sort()).toEqual(["id", "until"]);
    expect(created.until).toBe(new Date(T0 + 30_000).toISOString());
    expect(settled).toBe(1);
    expect(faults.check("dynamodb", "PutItem")).toBe("ambiguous");

    const listed = await (await fetch(`${base}/_local/faults`)).json();
    expect(listed).toEqual({
      items: [
        {
          id: created.id,
          target: "dynamodb",
          operation: "PutItem",
          mode: "ambiguous",
          probability: 1,
          until: created.until,
        },
      ],
    });
    expect((await fetch(`${base}/_local/faults/${created.id}`)).status).toBe(200);
    c.t = T0 + 30_000;
    expect(await (await fetch(`${base}/_local/faults`)).json()).toEqual({ items: [] });
    expect((await fetch(`${base}/_local/faults/${created.id}`)).status).toBe(404);
  });

  it("ends one rule (204; an unknown id is a 404 problem) or all of them (204)", async () => {
    const a = (await (await post({ target: "sns", mode: "error", seconds: 60 })).json()) as { id: string };
    await post({ target: "lambda", mode: "error", probability: 0.5, seconds: 60 });
    const del = await fetch(`${base}/_local/faults/${a.id}`, { method: "DELETE" });
    expect(del.status).toBe(204);
    const again = await fetch(`${base}/_local/faults/${a.id}`, { method: "DELETE" });
    expect(again.status).toBe(404);
    expect(again.headers.get("content-type")).toBe("application/problem+json");
    expect(await again.json()).toMatchObject({ status: 404, code: "not_found", type: expect.any(String) });
    expect(faults.list().map((r) => r.target)).toEqual(["lambda"]);
    expect((await fetch(`${base}/_local/faults`, { method: "DELETE" })).status).toBe(204);
    expect(faults.list()).toEqual([]);
    expect((await fetch(`${base}/v1/escrows`)).status).toBe(418); // other paths go on
  });

  it.each([
    ["an unknown field", { target: "sns", mode: "error", seconds: 5, extra: true }, "extra"],
    ["a bad target", { target: "s3", mode: "error", seconds: 5 }, "target"],
    ["a bad mode", { target: "sns", mode: "slow", seconds: 5 }, "mode"],
    ["ambiguous on sns", { target: "sns", mode: "ambiguous", seconds: 5 }, "mode"],
    ["ambiguous on stepfunctions", { target: "stepfunctions", mode: "ambiguous", seconds: 5 }, "mode"],
    ["probability above 1", { target: "sns", mode: "error", probability: 1.5, seconds: 5 }, "probability"],
    ["probability below 0", { target: "sns", mode: "error", probability: -0.1, seconds: 5 }, "probability"],
    ["probability as text", { target: "sns", mode: "error", probability: "1", seconds: 5 }, "probability"],
    ["seconds 0", { target: "sns", mode: "error", seconds: 0 }, "seconds"],
    ["seconds 3601", { target: "sns", mode: "error", seconds: 3601 }, "seconds"],
    ["fractional seconds", { target: "sns", mode: "error", seconds: 1.5 }, "seconds"],
    ["no seconds", { target: "sns", mode: "error" }, "seconds"],
    ["an empty operation", { target: "sns", operation: "", mode: "error", seconds: 5 }, "operation"],
    ["an array", [], "(body)"],
    ["text that is not JSON", "target=sns", "(body)"],
  ])("answers 400 validation_error for %s, and adds nothing", async (_what, body, path) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const problem = (await res.json()) as { errors: Array<{ path: string; message: string }> };
    expect(problem).toMatchObject({
      type: expect.any(String),
      title: expect.any(String),
      status: 400,
      detail: expect.any(String),
      code: "validation_error",
    });
    expect(problem.errors.map((e) => e.path)).toContain(path);
    for (const e of problem.errors) expect(e.message).toEqual(expect.any(String));
    expect(faults.list()).toEqual([]);
    expect(settled).toBe(0);
  });

  it("accepts the edges: probability 0 and 1, seconds 1 and 3600, ambiguous on payments and dynamodb", async () => {
    for (const body of [
      { target: "payments", operation: "payout", mode: "ambiguous", probability: 0, seconds: 1 },
      { target: "dynamodb", mode: "ambiguous", probability: 1, seconds: 3600 },
      { target: "stepfunctions", operation: "SendTaskSuccess", mode: "error", seconds: 60 },
    ])
      expect((await post(body)).status).toBe(201);
    expect(faults.list()).toHaveLength(3);
  });
});

describe("target stepfunctions: the local Step Functions endpoint", () => {
  it("fails the named API operation as AWS fails transiently (503, retried by the SDK), with no effect", async () => {
    const faults = new FaultService();
    const tokens: string[] = [];
    const service = new LocalStepFunctions({
      dataDir: dir,
      definition: {
        StartAt: "Await",
        States: {
          Await: {
            Type: "Task",
            Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
            Parameters: { FunctionName: fn("wait"), Payload: { "token.$": "$$.Task.Token" } },
            TimeoutSeconds: 300,
            End: true,
          },
        },
      },
      stateMachineArn: SM_ARN,
      taskHandlers: {
        wait: async (p: { token: string }) => {
          tokens.push(p.token);
          return null;
        },
      },
      onError: () => {},
    });
    closers.push(() => service.close());
    // Counts the calls that reach the endpoint: the SDK's retries of a transient failure.
    let checks = 0;
    const counting = {
      check: (target: "stepfunctions", operation: string) => {
        checks++;
        return faults.check(target, operation);
      },
    };
    const endpoint = await serve(createSfnHttpServer(service, { faults: counting }));
    const sfn = new SFNClient({
      endpoint,
      region: "us-east-1",
      credentials: fakeCredentials,
      maxAttempts: 3,
    });

    faults.add({ target: "stepfunctions", operation: "StartExecution", mode: "error", seconds: 60 });
    const failed = await sfn
      .send(new StartExecutionCommand({ stateMachineArn: SM_ARN, name: "esc_1-v2", input: "{}" }))
      .catch((e: Error & { $metadata: { httpStatusCode: number; attempts: number } }) => e);
    expect(failed).toMatchObject({
      name: "ServiceUnavailable",
      $metadata: { httpStatusCode: 503, attempts: 3 },
    });
    expect(checks).toBe(3); // the SDK treated it as transient and retried
    expect((await service.listExecutions()).executions).toEqual([]); // no effect

    // Other operations go through; the same call goes through once the rule ends.
    faults.clear();
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: SM_ARN, name: "esc_1-v2", input: "{}" }),
    );
    const token = await waitFor(() => tokens[0], { what: "the wait's token" });
    faults.add({ target: "stepfunctions", operation: "SendTaskSuccess", mode: "error", seconds: 60 });
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: "{}" })),
    ).rejects.toMatchObject({ name: "ServiceUnavailable" });
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(described.status).toBe("RUNNING"); // the wait is still open: the signal had no effect
    faults.clear();
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"ok":true}' }));
    await waitFor(
      async () => (await service.describeExecution(started.executionArn as string)).status === "SUCCEEDED",
    );
  });
});

describe("target sns: the local SNS endpoint and the workflow's sns:publish", () => {
  it("fails Publish with SNS's transient InternalError (500, retried by the SDK) and publishes nothing", async () => {
    const faults = new FaultService();
    const sns = new LocalSns({ dataDir: dir, topics: [TOPIC], faults, onError: () => {} });
    closers.push(() => sns.close());
    const { createSnsHttpServer } = await import("../../infra/local/sns/index");
    const endpoint = await serve(createSnsHttpServer(sns));
    const client = new SNSClient({
      endpoint,
      region: "us-east-1",
      credentials: fakeCredentials,
      maxAttempts: 2,
    });
    faults.add({ target: "sns", operation: "Publish", mode: "error", seconds: 60 });
    const failed = await client
      .send(new PublishCommand({ TopicArn: TOPIC, Message: "{}" }))
      .catch((e: Error & { $metadata: { httpStatusCode: number; attempts: number } }) => e);
    expect(failed).toMatchObject({
      name: "InternalErrorException",
      $metadata: { httpStatusCode: 500, attempts: 2 },
    });
    await expect(sns.publish({ TopicArn: TOPIC, Message: "{}" })).rejects.toMatchObject({
      code: "InternalError",
    });
    expect((await sns.all()).length).toBe(0);
    faults.clear();
    await client.send(new PublishCommand({ TopicArn: TOPIC, Message: "{}" }));
    expect((await sns.all()).length).toBe(1);
  });

  it("fails the Task of an sns:publish state with SNS.InternalErrorException, which Retry and Catch see", async () => {
    const faults = new FaultService();
    const sns = new LocalSns({ dataDir: dir, topics: [TOPIC], faults, onError: () => {} });
    closers.push(() => sns.close());
    const service = new LocalStepFunctions({
      dataDir: dir,
      definition: {
        StartAt: "Notify",
        States: {
          Notify: {
            Type: "Task",
            Resource: "arn:aws:states:::sns:publish",
            Parameters: { TopicArn: TOPIC, "Message.$": "States.JsonToString($)" },
            Retry: [{ ErrorEquals: ["SNS.InternalErrorException"], IntervalSeconds: 1, MaxAttempts: 1 }],
            Catch: [{ ErrorEquals: ["States.ALL"], Next: "Owed", ResultPath: "$.error" }],
            End: true,
          },
          Owed: { Type: "Pass", End: true },
        },
      },
      stateMachineArn: SM_ARN,
      taskHandlers: {},
      snsPublish: (params) => sns.publish(params),
      retryIntervalOverrides: { Notify: 0 },
      onError: () => {},
    });
    closers.push(() => service.close());
    faults.add({ target: "sns", mode: "error", seconds: 60 });
    const { executionArn } = await service.startExecution({ name: "n1", input: '{"escrowId":"esc_1"}' });
    const done = await waitFor(async () => {
      const d = await service.describeExecution(executionArn);
      return d.status !== "RUNNING" && d;
    });
    expect(done.status).toBe("SUCCEEDED");
    expect(JSON.parse(done.output as string).error.Error).toBe("SNS.InternalErrorException");
    const { events } = await service.getExecutionHistory(executionArn);
    const failures = events
      .filter((e) => e.type === "TaskFailed")
      .map((e) => (e.taskFailedEventDetails as { error: string }).error);
    expect(failures).toEqual(["SNS.InternalErrorException", "SNS.InternalErrorException"]); // tried, retried
    expect(entered(events)).toEqual(["Notify", "Notify", "Owed"]);
    expect(await sns.all()).toEqual([]);
  });
});

const entered = (events: HistoryEvent[]) =>
  events
    .filter((e) => e.type.endsWith("StateEntered"))
    .map((e) => (e.stateEnteredEventDetails as { name: string }).name);

describe("target lambda: the workflow's task invocations", () => {
  it("fails lambda:invoke and .waitForTaskToken tasks with Lambda.ServiceException before the handler runs", async () => {
    const faults = new FaultService();
    const calls: string[] = [];
    const service = new LocalStepFunctions({
      dataDir: dir,
      definition: {
        StartAt: "Hold",
        States: {
          Hold: {
            Type: "Task",
            Resource: "arn:aws:states:::lambda:invoke",
            Parameters: { FunctionName: fn("hold"), Payload: {} },
            Catch: [{ ErrorEquals: ["Lambda.ServiceException"], Next: "Await", ResultPath: "$.holdError" }],
            ResultPath: null,
            Next: "Await",
          },
          Await: {
            Type: "Task",
            Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
            Parameters: { FunctionName: fn("wait"), Payload: { "token.$": "$$.Task.Token" } },
            TimeoutSeconds: 300,
            Catch: [{ ErrorEquals: ["States.TaskFailed"], Next: "Escalate", ResultPath: "$.waitError" }],
            End: true,
          },
          Escalate: { Type: "Pass", End: true },
        },
      },
      stateMachineArn: SM_ARN,
      taskHandlers: {
        hold: async () => void calls.push("hold"),
        wait: async () => void calls.push("wait"),
      },
      faults,
      onError: () => {},
    });
    closers.push(() => service.close());
    faults.add({ target: "lambda", operation: "Invoke", mode: "error", seconds: 60 });
    const { executionArn } = await service.startExecution({ name: "l1" });
    const done = await waitFor(async () => {
      const d = await service.describeExecution(executionArn);
      return d.status !== "RUNNING" && d;
    });
    expect(calls).toEqual([]); // no handler ran
    const output = JSON.parse(done.output as string);
    expect(output.holdError.Error).toBe("Lambda.ServiceException");
    expect(output.waitError.Error).toBe("Lambda.ServiceException");
    expect(entered((await service.getExecutionHistory(executionArn)).events)).toEqual([
      "Hold",
      "Await",
      "Escalate",
    ]);

    // The same definition runs its handlers once the fault is gone.
    faults.clear();
    await service.startExecution({ name: "l2" });
    await waitFor(() => calls.length === 2, { what: "both handlers" });
    expect(calls).toEqual(["hold", "wait"]);
  });
});

describe("target dynamodb: the metering proxy in the store's process", () => {
  const ROOT = fileURLToPath(new URL("../../", import.meta.url));
  let storeDir: string;
  let store: StoreProcess;
  let faults: FaultService;
  let sync: ReturnType<typeof syncDynamoFaults>;
  let client: DynamoDBClient;
  let admin: DynamoDBClient;
  const TABLE = "escrow";

  beforeAll(async () => {
    storeDir = await tempDir("faults-store");
    store = await startStoreProcess({ backend: "dynalite", dataDir: storeDir, indexKeys: [] }, ROOT);
    const options = { region: "us-east-1", credentials: fakeCredentials };
    client = new DynamoDBClient({ ...options, endpoint: store.meterEndpoint, maxAttempts: 1 });
    admin = new DynamoDBClient({ ...options, endpoint: store.endpoint });
    await admin.send(new CreateTableCommand({ TableName: TABLE, ...KEYS_ONLY_TABLE }));
  }, 60_000);
  afterAll(async () => {
    client?.destroy();
    admin?.destroy();
    await store?.close();
    await removeDir(storeDir);
  });
  beforeEach(() => {
    faults = new FaultService();
    sync = syncDynamoFaults(faults, store.setFaults, (e) => {
      throw e;
    });
  });
  afterEach(async () => {
    faults.clear();
    await sync.flush();
    sync.stop();
  });

  const key = (pk: string) => ({ PK: { S: pk }, SK: { S: "ESCROW" } });
  const put = (pk: string) => new PutItemCommand({ TableName: TABLE, Item: { ...key(pk), v: { N: "1" } } });
  const stored = async (pk: string) =>
    (await admin.send(new GetItemCommand({ TableName: TABLE, Key: key(pk), ConsistentRead: true }))).Item;
  const add = async (spec: Parameters<FaultService["add"]>[0]) => {
    faults.add(spec);
    await sync.flush();
  };

  it("meters the capacity of requests that do not ask for it (the functions never do)", async () => {
    await store.resetMeter();
    await client.send(put("metered"));
    await client.send(new GetItemCommand({ TableName: TABLE, Key: key("metered"), ConsistentRead: true }));
    expect(await store.meter()).toMatchObject({
      requests: { PutItem: 1, GetItem: 1 },
      writeUnits: 1,
      readUnits: 1,
    });
    expect(withCapacity("DescribeTable", Buffer.from('{"TableName":"t"}')).toString()).toBe(
      '{"TableName":"t"}',
    );
    expect(
      JSON.parse(withCapacity("Query", Buffer.from('{"ReturnConsumedCapacity":"INDEXES"}')).toString()),
    ).toEqual({
      ReturnConsumedCapacity: "INDEXES",
    });
  });

  it("error: an HTTP 500 InternalServerError the SDK retries, and the store never sees the request", async () => {
    await add({ target: "dynamodb", operation: "PutItem", mode: "error", seconds: 60 });
    const retrying = new DynamoDBClient({
      region: "us-east-1",
      credentials: fakeCredentials,
      endpoint: store.meterEndpoint,
      maxAttempts: 2,
    });
    closers.push(async () => retrying.destroy());
    const failed = await retrying
      .send(put("e-error"))
      .catch((e: Error & { $metadata: { httpStatusCode: number; attempts: number } }) => e);
    expect(failed).toMatchObject({
      name: "InternalServerError",
      $metadata: { httpStatusCode: 500, attempts: 2 },
    });
    expect(await stored("e-error")).toBeUndefined();
    // Reads and other writes go through (the rule names PutItem).
    await client.send(new GetItemCommand({ TableName: TABLE, Key: key("e-error") }));
    await add({ target: "dynamodb", mode: "error", seconds: 60 });
    await expect(
      client.send(
        new QueryCommand({
          TableName: TABLE,
          KeyConditionExpression: "PK = :p",
          ExpressionAttributeValues: { ":p": { S: "x" } },
        }),
      ),
    ).rejects.toMatchObject({ name: "InternalServerError" });
  });

  it("ambiguous: the write takes effect and its caller gets no answer (connection reset); reads are not touched", async () => {
    await add({ target: "dynamodb", mode: "ambiguous", seconds: 60 });
    const lost = await client.send(put("e-ambiguous")).catch((e: Error) => e);
    expect(lost).toBeInstanceOf(Error);
    expect(String((lost as Error & { code?: string }).code ?? (lost as Error).message)).toMatch(
      /ECONNRESET|socket hang up|aborted/i,
    );
    expect(await stored("e-ambiguous")).toMatchObject({ v: { N: "1" } });
    const update = new UpdateItemCommand({
      TableName: TABLE,
      Key: key("e-ambiguous"),
      UpdateExpression: "SET v = :two",
      ExpressionAttributeValues: { ":two": { N: "2" } },
    });
    await expect(client.send(update)).rejects.toBeInstanceOf(Error);
    expect(await stored("e-ambiguous")).toMatchObject({ v: { N: "2" } });
    // A read has no effect to lose: an ambiguous rule leaves it alone.
    const got = await client.send(new GetItemCommand({ TableName: TABLE, Key: key("e-ambiguous") }));
    expect(got.Item?.v?.N).toBe("2");
  });

  it("probability 0 never fires; a rule ended or expired no longer applies", async () => {
    await add({ target: "dynamodb", mode: "error", probability: 0, seconds: 60 });
    for (let i = 0; i < 20; i++) await client.send(put(`p0-${i}`));
    expect(await stored("p0-19")).toBeDefined();
    await add({ target: "dynamodb", mode: "error", seconds: 60 });
    await expect(client.send(put("ended"))).rejects.toMatchObject({ name: "InternalServerError" });
    faults.clear();
    await sync.flush();
    await client.send(put("ended"));
    expect(await stored("ended")).toBeDefined();

    // Expiry is the proxy's own: its clock against each rule's `until`.
    const c = clock();
    const proxyFaults = new DynamoFaults({ now: c.now });
    proxyFaults.set([{ id: "f1", mode: "error", probability: 1, until: T0 + 5000 }]);
    expect(proxyFaults.check("GetItem")).toBe("error");
    c.t = T0 + 5000;
    expect(proxyFaults.check("GetItem")).toBeNull();
    expect(proxyFaults.list()).toEqual([]);
  });
});

describe("the hooks the functions see", () => {
  it("installs the fault point and the ledger on globalThis without dropping hooks already there", () => {
    const g = globalThis as Record<symbol, unknown>;
    const before = g[LOCAL_HOOKS];
    try {
      const ledger = { record: async () => ({ id: "pay_1", at: "", recorded: true }) };
      installLocalHooks({ sandboxLedger: ledger });
      const faults = new FaultService();
      installLocalHooks({ faults });
      expect(localHooks().sandboxLedger).toBe(ledger);
      expect(localHooks().faults).toBe(faults);
      faults.add({ target: "payments", operation: "payout", mode: "ambiguous", seconds: 60 });
      expect(localHooks().faults?.check("payments", "payout")).toBe("ambiguous");
      expect(localHooks().faults?.check("payments", "refund")).toBeNull();
    } finally {
      g[LOCAL_HOOKS] = before;
    }
  });
});
