import { createRequire } from "node:module";
import type { AddressInfo, Server } from "node:net";
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import { TABLE } from "../../functions/adapters/table-schema";

// dynalite ships no types: it returns a plain Node HTTP server.
const dynalite = createRequire(import.meta.url)("dynalite") as (options: Record<string, unknown>) => Server;

/** The escrow table's keys without its indexes: enough for a test that writes and reads items by key. */
export const KEYS_ONLY_TABLE = {
  BillingMode: "PAY_PER_REQUEST",
  KeySchema: [
    { AttributeName: TABLE.partitionKey, KeyType: "HASH" },
    { AttributeName: TABLE.sortKey, KeyType: "RANGE" },
  ],
  AttributeDefinitions: [
    { AttributeName: TABLE.partitionKey, AttributeType: "S" },
    { AttributeName: TABLE.sortKey, AttributeType: "S" },
  ],
} satisfies Omit<CreateTableCommandInput, "TableName">;

/**
 * An in-memory dynalite with the escrow table, for adapter and service tests.
 * (The local runtime creates its table from the synthesized template instead.)
 */
export async function startDynalite(): Promise<{
  client: DynamoDBClient;
  tableName: string;
  close: () => Promise<void>;
}> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const tableName = "escrow-test";
  await createEscrowTable(client, tableName);
  return {
    client,
    tableName,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Creates an (empty) escrow table with its indexes under `tableName`, and waits until it is there. */
export async function createEscrowTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const gsi = Object.values(TABLE.indexes);
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      ...KEYS_ONLY_TABLE,
      // Each attribute once (the list indexes share `listSK`): DynamoDB Local refuses a repeat, dynalite does not.
      AttributeDefinitions: [
        ...new Set([TABLE.partitionKey, TABLE.sortKey, ...gsi.flatMap((i) => [i.partitionKey, i.sortKey])]),
      ].map((name) => ({ AttributeName: name, AttributeType: "S" })),
      GlobalSecondaryIndexes: gsi.map((i) => ({
        IndexName: i.name,
        KeySchema: [
          { AttributeName: i.partitionKey, KeyType: "HASH" },
          { AttributeName: i.sortKey, KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "KEYS_ONLY" },
      })),
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: tableName });
}
