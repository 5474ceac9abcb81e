import { settle } from "../app/workflow-tasks";
import { events } from "../shared/events";
import { payments } from "../shared/payments";
import { now, store } from "../shared/store";
import { EscrowRefInput, taskHandler } from "./task";

/** ReleaseToSeller, RefundBuyer and SplitSettlement: move the money the record decided, exactly once. */
export const handler = taskHandler(EscrowRefInput, (ref) => settle({ store, payments, events, now }, ref));
