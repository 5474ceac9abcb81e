import * as z from "zod";
import { applyDeadline } from "../app/workflow-tasks";
import { noPayments, noWorkflow, now, store } from "../shared/store";
import { EscrowRefInput, taskHandler } from "./task";

const deps = { store, workflow: noWorkflow, payments: noPayments, now };

/** ApplyDeadlineOutcome: a wait timed out. */
export const handler = taskHandler(EscrowRefInput.extend({ seenVersion: z.number().int().min(1) }), (input) =>
  applyDeadline(deps, input),
);
