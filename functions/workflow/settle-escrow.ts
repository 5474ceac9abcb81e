import { settle } from "../app/workflow-tasks";
import { payments } from "../shared/payments";
import { noWorkflow, now, store } from "../shared/store";
import { EscrowRefInput, taskHandler } from "./task";

const deps = { store, workflow: noWorkflow, payments, now };

/** ReleaseToSeller, RefundBuyer and SplitSettlement: move the money the record decided, exactly once. */
export const handler = taskHandler(EscrowRefInput, (ref) => settle(deps, ref));
