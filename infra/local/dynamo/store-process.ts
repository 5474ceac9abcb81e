import "../polyfills";
import { createInterface } from "node:readline";
import { type DynamoBackend, startLocalDynamo } from "./backends";
import { DynamoMeter } from "./meter";

/**
 * The local DynamoDB (dynalite, or DynamoDB Local's JVM) and its metering
 * proxy, in a process of their own: the store then has a core to itself
 * instead of sharing the service's event loop. Started by
 * start-store-process.ts; prints one JSON line `{ endpoint, meterEndpoint }`
 * when ready; stops when its parent closes its stdin (so a crashed parent
 * never leaves it holding the LevelDB lock).
 *
 * The meter answers `GET /__meter` (its reading), `DELETE /__meter` (reset)
 * and `PUT /__faults` (the injected DynamoDB faults, meter.ts).
 */
export interface StoreProcessOptions {
  backend: DynamoBackend;
  dataDir: string;
  indexKeys: string[];
}

const options = JSON.parse(process.argv[2] ?? "{}") as StoreProcessOptions;
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
