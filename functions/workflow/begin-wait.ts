import * as z from "zod/mini";
import { beginWait } from "../app/workflow-tasks";
import { noPayments, now, store } from "../shared/store";
import { workflowEngine } from "../shared/workflow";
import { escrowRef, taskHandler } from "./task";

const deps = { store, workflow: workflowEngine(), payments: noPayments, now };

/** Every waitForTaskToken state: store the token, then end the wait at once if the record already moved on. */
export const handler = taskHandler(
  z.object({
    ...escrowRef,
    seenVersion: z.int().check(z.minimum(1)),
    taskToken: z.string().check(z.minLength(1)),
  }),
  (input) => beginWait(deps, input),
);
