import { DynamoOpsDesk } from "../adapters/dynamo-ops-desk";
import { loadEnv } from "./config";
import { dynamo } from "./store";

/** The ops desk beside the escrows (notes, assignment), on the same table and client as the store. */
export const desk = new DynamoOpsDesk(dynamo, loadEnv(["TABLE_NAME"]).TABLE_NAME);
