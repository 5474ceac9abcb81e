import {
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DynamoTenantDirectory } from "../../functions/adapters/dynamo-tenant-directory";
import {
  type CfnTableProperties,
  createTableFromTemplate,
  createTableInput,
  javaAvailable,
  type LocalDynamo,
  type Scheduler,
  seedClientRegistrations,
  startLocalDynamo,
  startTtlSweeper,
} from "../../infra/local/dynamo";
import { removeDir, tempDir } from "./helpers";

/** Shaped like a synthesized AWS::DynamoDB::Table, with the properties local engines lack. */
const tableProperties: CfnTableProperties = {
  KeySchema: [
    { AttributeName: "PK", KeyType: "HASH" },
    { AttributeName: "SK", KeyType: "RANGE" },
  ],
  AttributeDefinitions: [
    { AttributeName: "PK", AttributeType: "S" },
    { AttributeName: "SK", AttributeType: "S" },
    { AttributeName: "GSI1PK", AttributeType: "S" },
    { AttributeName: "GSI1SK", AttributeType: "S" },
  ],
  BillingMode: "PAY_PER_REQUEST",
  GlobalSecondaryIndexes: [
    {
      IndexName: "ByBuyer",
      KeySchema: [
        { AttributeName: "GSI1PK", KeyType: "HASH" },
        { AttributeName: "GSI1SK", KeyType: "RANGE" },
      ],
      Projection: { ProjectionType: "ALL" },
    },
  ],
  SSESpecification: { SSEEnabled: true, SSEType: "KMS", KMSMasterKeyId: { "Fn::GetAtt": ["Key", "Arn"] } },
  PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
  TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
  DeletionProtectionEnabled: true,
  StreamSpecification: { StreamViewType: "NEW_AND_OLD_IMAGES" },
  ContributorInsightsSpecification: { Enabled: true },
  TableClass: "STANDARD",
  Tags: [{ Key: "app", Value: "escrow" }],
};

let dir: string;
const started: LocalDynamo[] = [];

beforeEach(async () => {
  dir = await tempDir("dynamo");
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((d) => d.close()));
  await removeDir(dir);
});

async function start(options: Parameters<typeof startLocalDynamo>[0]): Promise<LocalDynamo> {
  const d = await startLocalDynamo(options);
  started.push(d);
  return d;
}

const item = (pk: string, extra: Record<string, { S: string } | { N: string }> = {}) => ({
  PK: { S: pk },
  SK: { S: "ESCROW" },
  ...extra,
});

async function exercise(client: DynamoDBClient): Promise<void> {
  await client.send(
    new PutItemCommand({
      TableName: "escrow",
      Item: item("T#demo#E#1", { GSI1PK: { S: "T#demo#B#buyer" }, GSI1SK: { S: "2024#1" } }),
      ConditionExpression: "attribute_not_exists(PK)",
    }),
  );
  await expect(
    client.send(
      new PutItemCommand({
        TableName: "escrow",
        Item: item("T#demo#E#1"),
        ConditionExpression: "attribute_not_exists(PK)",
      }),
    ),
  ).rejects.toMatchObject({ name: "ConditionalCheckFailedException" });
  const q = await client.send(
    new QueryCommand({
      TableName: "escrow",
      IndexName: "ByBuyer",
      KeyConditionExpression: "GSI1PK = :b",
      ExpressionAttributeValues: { ":b": { S: "T#demo#B#buyer" } },
    }),
  );
  expect(q.Items?.map((i) => i.PK?.S)).toEqual(["T#demo#E#1"]);
}

describe("createTableInput", () => {
  it("keeps keys, attributes, indexes and billing mode, and drops what local engines lack", () => {
    const input = createTableInput(tableProperties, "escrow");
    expect(input).toEqual({
      TableName: "escrow",
      KeySchema: tableProperties.KeySchema,
      AttributeDefinitions: tableProperties.AttributeDefinitions,
      BillingMode: "PAY_PER_REQUEST",
      GlobalSecondaryIndexes: tableProperties.GlobalSecondaryIndexes,
    });
    const provisioned = createTableInput({ ...tableProperties, BillingMode: undefined, TableName: "named" });
    expect(provisioned).toMatchObject({
      TableName: "named",
      BillingMode: "PROVISIONED",
      ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
    });
    expect(provisioned.GlobalSecondaryIndexes?.[0]?.ProvisionedThroughput).toBeDefined();
    expect(() => createTableInput(tableProperties)).toThrow(/TableName/);
    expect(() =>
      createTableInput(
        {
          ...tableProperties,
          KeySchema: [{ AttributeName: { Ref: "X" } as unknown as string, KeyType: "HASH" }],
        },
        "t1",
      ),
    ).toThrow(/intrinsic Ref/);
  });
});

describe("dynalite backend", () => {
  it("creates the template's table once, persists to LevelDB under dataDir, and keeps data across restarts", async () => {
    const first = await start({ dataDir: dir });
    expect(first.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const client = first.client();
    const created = await createTableFromTemplate(client, tableProperties, { tableName: "escrow" });
    expect(created).toEqual({ tableName: "escrow", created: true, ttlAttribute: "expiresAt" });
    const described = await client.send(new DescribeTableCommand({ TableName: "escrow" }));
    expect(described.Table?.TableStatus).toBe("ACTIVE");
    expect(described.Table?.BillingModeSummary?.BillingMode).toBe("PAY_PER_REQUEST");
    expect(described.Table?.GlobalSecondaryIndexes?.map((g) => g.IndexName)).toEqual(["ByBuyer"]);
    await exercise(client);
    client.destroy();
    await first.close();

    const second = await start({ dataDir: dir });
    const client2 = second.client();
    expect(await createTableFromTemplate(client2, tableProperties, { tableName: "escrow" })).toMatchObject({
      created: false,
    });
    const got = await client2.send(new GetItemCommand({ TableName: "escrow", Key: item("T#demo#E#1") }));
    expect(got.Item?.GSI1PK?.S).toBe("T#demo#B#buyer");
    client2.destroy();
  });

  it("is in-memory without dataDir", async () => {
    const a = await start({});
    await createTableFromTemplate(a.client(), tableProperties, { tableName: "escrow" });
    await a.close();
    const b = await start({});
    await expect(b.client().send(new DescribeTableCommand({ TableName: "escrow" }))).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
  });
});

describe("seedClientRegistrations", () => {
  it("registers clients so the API's tenant directory finds their tenant", async () => {
    const d = await start({});
    const client = d.client();
    await createTableFromTemplate(client, tableProperties, { tableName: "escrow" });
    await seedClientRegistrations(
      client,
      "escrow",
      new Map([
        ["demo-marketplace", "demo"],
        ["other-marketplace", "other"],
      ]),
    );
    const directory = new DynamoTenantDirectory(client, "escrow");
    expect(await directory.tenantOf("demo-marketplace")).toBe("demo");
    expect(await directory.tenantOf("other-marketplace")).toBe("other");
    expect(await directory.tenantOf("nobody")).toBeNull();
  });
});

describe("TTL sweeper", () => {
  it("deletes only items whose TTL number is in the past, once now and then on its interval", async () => {
    const d = await start({});
    const client = d.client();
    await createTableFromTemplate(client, tableProperties, { tableName: "escrow" });
    const NOW = Date.parse("2026-11-25T10:00:00.000Z");
    const nowSeconds = Math.floor(NOW / 1000);
    const put = (pk: string, ttl?: { N: string } | { S: string }) =>
      client.send(new PutItemCommand({ TableName: "escrow", Item: item(pk, ttl ? { expiresAt: ttl } : {}) }));
    await put("expired", { N: String(nowSeconds - 10) });
    await put("future", { N: String(nowSeconds + 3600) });
    await put("no-ttl");
    await put("string-ttl", { S: "1" });
    for (let i = 0; i < 30; i++) await put(`expired-${i}`, { N: String(nowSeconds - 100 - i) });

    // The interval is driven by hand: one tick is one interval passing.
    const interval: { ms?: number; tick?: () => void; stopped: boolean } = { stopped: false };
    const schedule: Scheduler = (tick, ms) => {
      Object.assign(interval, { tick, ms });
      return { stop: () => (interval.stopped = true) };
    };
    const errors: unknown[] = [];
    const sweeper = startTtlSweeper(client, {
      tableName: "escrow",
      attribute: "expiresAt",
      intervalSeconds: 90,
      now: () => NOW,
      schedule,
      onError: (e) => errors.push(e),
    });
    const exists = async (pk: string) =>
      (await client.send(new GetItemCommand({ TableName: "escrow", Key: item(pk) }))).Item !== undefined;
    try {
      expect(interval.ms).toBe(90_000);
      expect(await sweeper.sweepNow()).toBe(31);
      const left = await client.send(new ScanCommand({ TableName: "escrow" }));
      expect(left.Items?.map((i) => i.PK?.S).sort()).toEqual(["future", "no-ttl", "string-ttl"]);

      // The interval picks up new expired items by itself.
      await put("later", { N: String(nowSeconds - 1) });
      interval.tick?.();
      expect(await sweeper.sweepNow()).toBe(0); // waits for the interval's sweep, which took "later"
      expect(await exists("later")).toBe(false);
    } finally {
      await sweeper.stop();
    }
    // Stopped: the interval is gone, and a tick that was already due sweeps nothing.
    expect(interval.stopped).toBe(true);
    await put("after-stop", { N: String(nowSeconds - 1) });
    interval.tick?.();
    expect(await exists("after-stop")).toBe(true);
    expect(errors).toEqual([]);
  });
});

describe.skipIf(!javaAvailable())("dynamodb-local backend (DynamoDB Local jar on Java)", () => {
  it("starts on a free port, creates the table, supports transactions, persists under dataDir and stops", async () => {
    const first = await start({ backend: "dynamodb-local", dataDir: dir });
    expect(first.backend).toBe("dynamodb-local");
    const client = first.client("eu-west-1");
    expect(await createTableFromTemplate(client, tableProperties, { tableName: "escrow" })).toMatchObject({
      created: true,
    });
    await exercise(client);
    // Transactions: what dynalite lacks.
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: "escrow", Item: item("tx-1") } },
          { Put: { TableName: "escrow", Item: item("tx-2") } },
        ],
      }),
    );
    client.destroy();
    await first.close();
    await expect(fetch(first.endpoint)).rejects.toThrow();

    // -sharedDb: another region's client sees the same data after a restart.
    const second = await start({ backend: "dynamodb-local", dataDir: dir });
    const client2 = second.client("us-east-1");
    const got = await client2.send(new GetItemCommand({ TableName: "escrow", Key: item("tx-2") }));
    expect(got.Item).toBeDefined();
    client2.destroy();
  }, 120_000);
});
