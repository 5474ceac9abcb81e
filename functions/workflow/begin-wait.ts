import * as z from "zod";
import { beginWait } from "../app/workflow-tasks";
import { noPayments, now, store } from "../shared/store";
import { workflowEngine } from "../shared/workflow";
import { EscrowRefInput, taskHandler } from "./task";

const deps = { store, workflow: workflowEngine(), payments: noPayments, now };

/** Every waitForTaskToken state: store the token, then end the wait at once if the record already moved on. */
export const handler = taskHandler(
  EscrowRefInput.extend({ seenVersion: z.number().int().min(1), taskToken: z.string().min(1) }),
  (input) => beginWait(deps, input),
);
