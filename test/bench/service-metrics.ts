import { DynamoDBClient, ListTablesCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { SFNClient } from "@aws-sdk/client-sfn";
import { DUE_SHARDS, dueShard } from "../../functions/adapters/table-schema";

/** What the local service measures of itself (`/_local/metrics`), and the bench's own clients of it. */

export interface Metrics {
  dynamodb: {
    requests: Record<string, number>;
    readUnits: number;
    writeUnits: number;
    indexWriteUnits: number;
  };
  functions: Record<string, { invocations: number; totalMs: number; durationsMs: number[] }>;
  memoryMb: Record<string, number>;
  stateMachineArn: string;
  dynamodbEndpoint: string;
}

export const metrics = async (url: string): Promise<Metrics> =>
  (await fetch(`${url}/_local/metrics`)).json() as Promise<Metrics>;
export const resetMetrics = (url: string) => fetch(`${url}/_local/metrics`, { method: "DELETE" });

export const sfnClient = (url: string) =>
  new SFNClient({
    endpoint: url,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });

/** The store without the meter in between (what the bench reads for itself is not billed to the service). */
export function rawStore(endpoint: string) {
  return new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
}

/** The escrow's marks in the reconciler's sparse ByDue index (keys only; every shard). */
export async function dueMarksOf(endpoint: string, id: string): Promise<number> {
  const client = rawStore(endpoint);
  try {
    const tables = (await client.send(new ListTablesCommand({}))).TableNames ?? [];
    let marks = 0;
    for (const table of tables.filter((t) => !t.startsWith("bench_ceiling_")))
      for (let shard = 0; shard < DUE_SHARDS; shard++) {
        const out = await client
          .send(
            new QueryCommand({
              TableName: table,
              IndexName: "ByDue",
              KeyConditionExpression: "dueShard = :s",
              ExpressionAttributeValues: { ":s": { S: dueShard(shard) } },
            }),
          )
          .catch(() => ({ Items: [] }));
        marks += (out.Items ?? []).filter((i) => String(i.PK?.S).endsWith(`#E#${id}`)).length;
      }
    return marks;
  } finally {
    client.destroy();
  }
}
