import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoEscrowStore } from "../adapters/dynamo-escrow-store";
import { DynamoTenantDirectory } from "../adapters/dynamo-tenant-directory";
import type { PaymentProvider } from "../ports/payment-provider";
import type { WorkflowEngine } from "../ports/workflow";
import { loadEnv } from "./config";

/** The table, its store and the tenant directory: built once per container (cold start). */
const env = loadEnv(["TABLE_NAME"]);
const dynamo = new DynamoDBClient({});

export const store = new DynamoEscrowStore(dynamo, env.TABLE_NAME);
export const tenants = new DynamoTenantDirectory(dynamo, env.TABLE_NAME);
export const now = () => new Date();

/** For functions that never start or signal a workflow (their role has no Step Functions permission either). */
export const noWorkflow: WorkflowEngine = {
  start: () => Promise.reject(new Error("this function does not start workflows")),
  signal: () => Promise.reject(new Error("this function does not signal workflows")),
};

/** For functions that never talk to the payment provider. */
export const noPayments: PaymentProvider = {
  acceptsPaymentMethod: () => false,
  hold: () => Promise.reject(new Error("this function does not hold funds")),
  settle: () => Promise.reject(new Error("this function does not settle")),
};
