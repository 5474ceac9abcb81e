import * as z from "zod";
import { recordPaymentFailure } from "../app/workflow-tasks";
import { noPayments, noWorkflow, now, store } from "../shared/store";
import { EscrowRefInput, taskHandler } from "./task";

const deps = { store, workflow: noWorkflow, payments: noPayments, now };

/** RecordPaymentFailure: `error` is the name of the error HoldFunds failed with. */
export const handler = taskHandler(EscrowRefInput.extend({ error: z.string().min(1) }), ({ error, ...ref }) =>
  recordPaymentFailure(deps, ref, error),
);
