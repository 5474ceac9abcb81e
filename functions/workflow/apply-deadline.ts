import * as z from "zod/mini";
import { applyDeadline } from "../app/workflow-tasks";
import { noPayments, noWorkflow, now, store } from "../shared/store";
import { escrowRef, taskHandler } from "./task";

const deps = { store, workflow: noWorkflow, payments: noPayments, now };

/** ApplyDeadlineOutcome: a wait timed out. */
export const handler = taskHandler(
  z.object({ ...escrowRef, seenVersion: z.int().check(z.minimum(1)) }),
  (input) => applyDeadline(deps, input),
);
