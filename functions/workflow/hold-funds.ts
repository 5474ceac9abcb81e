import { holdFunds } from "../app/workflow-tasks";
import { payments } from "../shared/payments";
import { noWorkflow, now, store } from "../shared/store";
import { EscrowRefInput, taskHandler } from "./task";

const deps = { store, workflow: noWorkflow, payments, now };

/** HoldFunds: PaymentDeclined / PaymentUnavailable propagate by name to the state's Retry and Catch. */
export const handler = taskHandler(EscrowRefInput, (ref) => holdFunds(deps, ref));
