import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterEach, describe, expect, it } from "vitest";
import { watchLostAnswers } from "../../functions/adapters/lost-answers";
import { mayHaveTakenEffect } from "../../functions/ports/write-outcome";

/**
 * The SDK retries a call and reports only its last attempt: the client is watched so that an error
 * whose earlier attempt got no answer says so. A stand-in DynamoDB answers each attempt as told.
 */
let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function dynamoAnswering(attempts: ("drop" | 500)[]): Promise<DynamoDBClient> {
  let n = 0;
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const how = attempts[Math.min(n++, attempts.length - 1)];
      if (how === "drop") return req.socket.destroy();
      res.writeHead(500, { "content-type": "application/x-amz-json-1.0" });
      res.end(
        JSON.stringify({ __type: "com.amazonaws.dynamodb.v20120810#InternalServerError", message: "x" }),
      );
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
    maxAttempts: attempts.length,
  });
  watchLostAnswers(client);
  return client;
}

const put = (client: DynamoDBClient) =>
  client.send(new PutItemCommand({ TableName: "t", Item: { PK: { S: "a" } } })).catch((e: unknown) => e);

describe("watchLostAnswers", () => {
  it("marks an answered error whose earlier attempt got no answer: the write may have landed", async () => {
    const error = await put(await dynamoAnswering(["drop", 500]));
    expect(error).toMatchObject({ name: "InternalServerError", $lostAnswer: true });
    expect(mayHaveTakenEffect(error)).toBe(true);
  });

  it("leaves an error every attempt of which DynamoDB answered: nothing landed", async () => {
    const error = await put(await dynamoAnswering([500, 500]));
    expect(error).toMatchObject({ name: "InternalServerError" });
    expect((error as { $lostAnswer?: boolean }).$lostAnswer).toBeUndefined();
    expect(mayHaveTakenEffect(error)).toBe(false);
  });
});
