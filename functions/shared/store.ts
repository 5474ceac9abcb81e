import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { dynamoStore } from "../adapters/dynamo-store";
import { DynamoTenantDirectory } from "../adapters/dynamo-tenant-directory";
import { loadEnv } from "./config";

/** The table, its store and the tenant directory: built once per container (cold start). */
const env = loadEnv(["TABLE_NAME", "REMINDER_EARLY_SECONDS"]);
/** The one DynamoDB client of a container, shared by the stores built on it. */
export const dynamo = new DynamoDBClient({});

/** The store; a reminder's mark is set up to one reconciler period early (see reminderDue). */
export const store = dynamoStore(dynamo, env.TABLE_NAME, env.REMINDER_EARLY_SECONDS);
export const tenants = new DynamoTenantDirectory(dynamo, env.TABLE_NAME);
export { now } from "./clock";
