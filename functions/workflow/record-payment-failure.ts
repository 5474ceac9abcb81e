import * as z from "zod/mini";
import { recordPaymentFailure } from "../app/workflow-tasks";
import { noPayments, noWorkflow, now, store } from "../shared/store";
import { escrowRef, taskHandler } from "./task";

const deps = { store, workflow: noWorkflow, payments: noPayments, now };

/** RecordPaymentFailure: `error` is the name of the error HoldFunds failed with. */
export const handler = taskHandler(
  z.object({ ...escrowRef, error: z.string().check(z.minLength(1)) }),
  ({ error, ...ref }) => recordPaymentFailure(deps, ref, error),
);
