import "./polyfills";
import { createInterface } from "node:readline";
import { type DynamoBackend, startLocalDynamo } from "./dynamo";
import { DynamoMeter } from "./dynamo-meter";

/**
 * The local DynamoDB (dynalite, or DynamoDB Local's JVM) and its write meter,
 * in a process of their own: the store then has a core to itself instead of
 * sharing the service's event loop. Started by main.ts; prints one JSON line
 * `{ endpoint, meterEndpoint }` when ready; stops when its parent closes its
 * stdin (so a crashed parent never leaves it holding the LevelDB lock).
 *
 * The meter answers `GET /__meter` (its reading) and `DELETE /__meter` (reset).
 */
interface Options {
  backend: DynamoBackend;
  dataDir: string;
  indexKeys: string[];
}

const options = JSON.parse(process.argv[2] ?? "{}") as Options;
const dynamo = await startLocalDynamo({ backend: options.backend, dataDir: options.dataDir });
const meter = new DynamoMeter(dynamo.endpoint, options.indexKeys);
const meterEndpoint = await meter.start();
process.stdout.write(`${JSON.stringify({ endpoint: dynamo.endpoint, meterEndpoint })}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await meter.close().catch(() => {});
  await dynamo.close().catch(() => {});
  process.exit(0);
};
createInterface({ input: process.stdin }).on("close", () => void stop());
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
