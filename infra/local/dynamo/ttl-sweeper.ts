import {
  type AttributeValue,
  DeleteItemCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";

/** Runs `tick` every `intervalMs` until stopped (setInterval, unref'd, by default; tests drive it by hand). */
export type Scheduler = (tick: () => void, intervalMs: number) => { stop(): void };

export const intervalScheduler: Scheduler = (tick, intervalMs) => {
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
};

export interface TtlSweeperOptions {
  tableName: string;
  /** The TTL attribute (a Number, epoch seconds). */
  attribute: string;
  /** Seconds between sweeps (default 60). */
  intervalSeconds?: number;
  /** Clock, epoch ms. */
  now?: () => number;
  /** What runs the sweeps on their interval (default: a setInterval). */
  schedule?: Scheduler;
  onError?: (error: unknown) => void;
}

export interface TtlSweeper {
  /** Runs one sweep now (waits for a sweep in progress first); resolves with the number of items deleted. */
  sweepNow(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Stands in for DynamoDB's TTL deletion (dynalite has none): deletes, every
 * `intervalSeconds`, the items whose TTL attribute is a number of epoch
 * seconds in the past (what DynamoDB's TTL does, minus its delay). Each
 * delete is conditional on the item still being expired, so an item renewed
 * meanwhile is kept. Items without the attribute, or with a non-number, are
 * left alone.
 */
export function startTtlSweeper(client: DynamoDBClient, options: TtlSweeperOptions): TtlSweeper {
  const now = options.now ?? Date.now;
  let keyNames: string[] | undefined;
  let running: Promise<number> | undefined;
  let stopped = false;

  const sweep = async (): Promise<number> => {
    if (!keyNames) {
      const d = await client.send(new DescribeTableCommand({ TableName: options.tableName }));
      keyNames = (d.Table?.KeySchema ?? []).map((k) => k.AttributeName as string);
    }
    const nowSeconds = Math.floor(now() / 1000);
    const names: Record<string, string> = { "#ttl": options.attribute };
    keyNames.forEach((k, i) => {
      names[`#k${i}`] = k;
    });
    let deleted = 0;
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({
          TableName: options.tableName,
          FilterExpression: "#ttl < :now",
          ProjectionExpression: keyNames.map((_, i) => `#k${i}`).join(", "),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ":now": { N: String(nowSeconds) } },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        if (stopped) return deleted;
        try {
          await client.send(
            new DeleteItemCommand({
              TableName: options.tableName,
              Key: item,
              ConditionExpression: "#ttl < :now",
              ExpressionAttributeNames: { "#ttl": options.attribute },
              ExpressionAttributeValues: { ":now": { N: String(nowSeconds) } },
            }),
          );
          deleted += 1;
        } catch (error) {
          if ((error as Error).name !== "ConditionalCheckFailedException") throw error;
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey && !stopped);
    return deleted;
  };

  const run = (): Promise<number> => {
    if (!running)
      running = sweep().finally(() => {
        running = undefined;
      });
    return running;
  };

  const timer = (options.schedule ?? intervalScheduler)(
    () => {
      if (running || stopped) return;
      run().catch((error) =>
        (options.onError ?? ((e) => console.error("[local-dynamo] TTL sweep failed:", e)))(error),
      );
    },
    (options.intervalSeconds ?? 60) * 1000,
  );

  return {
    async sweepNow() {
      if (running) await running.catch(() => {});
      return run();
    },
    async stop() {
      stopped = true;
      timer.stop();
      await running?.catch(() => {});
    },
  };
}
