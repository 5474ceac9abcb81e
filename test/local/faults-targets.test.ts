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
import { DynamoFaults, type StoreProcess, startStoreProcess } from "../../infra/local/dynamo/index";
import { withCapacity } from "../../infra/local/dynamo/meter";
import { FaultService, syncDynamoFaults } from "../../infra/local/faults/index";
import { LocalSns } from "../../infra/local/sns/index";
import { createSfnHttpServer, LocalStepFunctions } from "../../infra/local/step-functions/index";
import { KEYS_ONLY_TABLE } from "../support/dynalite";
import { clock, closeAfter, dir, serve, T0, useFaultsDir } from "./faults-fixture";
import { fn, SM_ARN, TOPIC } from "./fixtures/definitions";
import { fakeCredentials, removeDir, tempDir, waitFor } from "./helpers";
import { entered } from "./sfn-harness";

/**
 * `/_local/faults` (see faults.test.ts) on each target: the local Step
 * Functions endpoint, SNS and the workflow's sns:publish, the workflow's
 * task invocations, and the metering proxy in the store's process.
 */
useFaultsDir();

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
    closeAfter(() => service.close());
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
    closeAfter(() => sns.close());
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
    closeAfter(() => sns.close());
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
    closeAfter(() => service.close());
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
    closeAfter(() => service.close());
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
    closeAfter(async () => retrying.destroy());
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
