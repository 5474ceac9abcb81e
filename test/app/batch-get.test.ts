import { BatchGetItemCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it, vi } from "vitest";
import { batchGetRaw } from "../../functions/adapters/dynamo-items";

/**
 * The adapters' one BatchGetItem (the escrow lists, the ops queue's desks): at most 100 keys a
 * request, and the keys DynamoDB leaves unprocessed read again after a backoff, never dropped.
 */
const ddb = mockClient(DynamoDBClient);
afterEach(() => {
  ddb.reset();
  vi.useRealTimers();
});

const keys = (n: number) => Array.from({ length: n }, (_, i) => marshall({ PK: `K${i}`, SK: "S" }));
const asItem = (k: Record<string, unknown>) => ({ ...k, found: { BOOL: true } });

describe("batchGetRaw", () => {
  it("asks for 100 keys at a time and reads unprocessed keys again: every item there is, once", async () => {
    ddb.on(BatchGetItemCommand).callsFake((input) => {
      const asked = input.RequestItems.T.Keys as Record<string, unknown>[];
      // DynamoDB answers the first two of each request and leaves the rest for later.
      return {
        Responses: { T: asked.slice(0, 2).map(asItem) },
        UnprocessedKeys: asked.length > 2 ? { T: { Keys: asked.slice(2) } } : {},
      };
    });
    const items = await batchGetRaw(new DynamoDBClient({}), "T", keys(7), { ProjectionExpression: "PK" });
    expect(items.map((i) => i.PK?.S).sort()).toEqual(["K0", "K1", "K2", "K3", "K4", "K5", "K6"]);
    expect(
      ddb.commandCalls(BatchGetItemCommand).map((c) => c.args[0].input.RequestItems?.T?.Keys?.length),
    ).toEqual([7, 5, 3, 1]);
    expect(
      ddb.commandCalls(BatchGetItemCommand)[0]?.args[0].input.RequestItems?.T?.ProjectionExpression,
    ).toBe("PK");
  });

  it("splits more than 100 keys into requests of 100", async () => {
    ddb.on(BatchGetItemCommand).callsFake((input) => ({
      Responses: { T: (input.RequestItems.T.Keys as Record<string, unknown>[]).map(asItem) },
    }));
    const items = await batchGetRaw(new DynamoDBClient({}), "T", keys(230), {});
    expect(items).toHaveLength(230);
    expect(
      ddb.commandCalls(BatchGetItemCommand).map((c) => c.args[0].input.RequestItems?.T?.Keys?.length),
    ).toEqual([100, 100, 30]);
  });

  it("gives up with an error after nine rounds that leave keys unprocessed (nothing answered as missing)", async () => {
    vi.useFakeTimers();
    ddb.on(BatchGetItemCommand).callsFake((input) => ({
      Responses: { T: [] },
      UnprocessedKeys: { T: { Keys: input.RequestItems.T.Keys } },
    }));
    const read = batchGetRaw(new DynamoDBClient({}), "T", keys(3), {});
    const failed = expect(read).rejects.toThrow("BatchGetItem kept leaving keys unprocessed");
    await vi.runAllTimersAsync();
    await failed;
    expect(ddb.commandCalls(BatchGetItemCommand)).toHaveLength(9);
  });
});
