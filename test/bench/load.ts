import {
  CreateTableCommand,
  DynamoDBClient,
  PutItemCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import type { Api } from "../e2e/client";
import { order } from "../support/orders";
import { event, SELLER } from "./paths";
import { log, percentile, round } from "./util";

/** Many clients running lifecycles at once against the local service, and the raw write ceiling of its store. */

export interface LoadFigures {
  lifecyclesPerSecond: number;
  completed: number;
  failed: number;
  latencyMs: Record<string, { p50: number; p95: number; p99: number; count: number }>;
}

/**
 * 16 clients, each running lifecycles back to back the way an event-driven
 * integrator does: create, wait for escrow.funded, deliver, confirm, wait for
 * escrow.released, read the escrow. Events are read from the local SNS log
 * (the stand-in for a marketplace's webhook), so no polling GETs load the API.
 */
export async function load(api: Api, seconds: number, clients: number): Promise<LoadFigures> {
  const samples: Record<string, number[]> = { create: [], delivery: [], confirmation: [], get: [] };
  const timed = async <T>(route: string, call: () => Promise<T>) => {
    const t = performance.now();
    const r = await call();
    samples[route]?.push(performance.now() - t);
    return r;
  };
  const until = Date.now() + seconds * 1000;
  let completed = 0;
  let failed = 0;
  const worker = async (n: number) => {
    await api.token();
    while (Date.now() < until) {
      try {
        const buyer = `u-load-${n}`;
        const created = await timed("create", () => api.create(order({ buyerId: buyer, sellerId: SELLER })));
        const id = created.body.id as string;
        await event(api, id, "escrow.funded", 60_000);
        await timed("delivery", () => api.act(id, "delivery", { actorId: SELLER }));
        await timed("confirmation", () => api.act(id, "confirmation", { actorId: buyer }));
        await event(api, id, "escrow.released", 60_000);
        const final = await timed("get", () => api.get(id));
        if (final.body?.status !== "RELEASED") throw new Error(`${id} ended ${final.body?.status}`);
        if (Date.now() <= until) completed++;
      } catch (error) {
        failed++;
        log(`load: ${(error as Error).message}`);
      }
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: clients }, (_, n) => worker(n)));
  const elapsed = Math.min(Date.now() - started, seconds * 1000) / 1000;
  const latencyMs = Object.fromEntries(
    Object.entries(samples).map(([k, xs]) => [
      k,
      {
        p50: round(percentile(xs, 50), 1),
        p95: round(percentile(xs, 95), 1),
        p99: round(percentile(xs, 99), 1),
        count: xs.length,
      },
    ]),
  );
  return { lifecyclesPerSecond: round(completed / elapsed), completed, failed, latencyMs };
}

/** The raw conditional-put rate of the same embedded store, from as many concurrent clients. */
export async function putCeiling(endpoint: string, seconds: number, clients: number): Promise<number> {
  const client = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const table = `bench_ceiling_${Date.now()}`;
  await client.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [{ AttributeName: "PK", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "PK", AttributeType: "S" }],
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: table });
  const payload = "x".repeat(700); // about the size of an escrow item mid-lifecycle
  let puts = 0;
  const until = Date.now() + seconds * 1000;
  const worker = async (n: number) => {
    for (let i = 0; Date.now() < until; i++) {
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: { PK: { S: `p-${n}-${i}` }, data: { S: payload }, version: { N: "1" } },
          ConditionExpression: "attribute_not_exists(PK)",
        }),
      );
      puts++;
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: clients }, (_, n) => worker(n)));
  client.destroy();
  return round(puts / ((Date.now() - started) / 1000));
}
