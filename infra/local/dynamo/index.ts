/**
 * The local DynamoDB: the engines (backends.ts), the table made from the
 * template (tables.ts), what dynalite lacks (ttl-sweeper.ts), the OAuth
 * clients' registrations (client-registrations.ts), and the store process
 * with its metering proxy, where DynamoDB faults are injected
 * (start-store-process.ts, store-process.ts, meter.ts, faults.ts).
 */
export {
  type DynamoBackend,
  javaAvailable,
  type LocalDynamo,
  type LocalDynamoOptions,
  localDynamoClient,
  startLocalDynamo,
} from "./backends";
export { seedClientRegistrations } from "./client-registrations";
export { DYNAMO_WRITES, type DynamoFaultRule, DynamoFaults } from "./faults";
export { DynamoMeter, type MeterReading } from "./meter";
export { type StoreProcess, startStoreProcess } from "./start-store-process";
export {
  type CfnTableProperties,
  type CreatedTable,
  createTableFromTemplate,
  createTableInput,
} from "./tables";
export {
  intervalScheduler,
  type Scheduler,
  startTtlSweeper,
  type TtlSweeper,
  type TtlSweeperOptions,
} from "./ttl-sweeper";
