import * as z from "zod/mini";
import { escalateToOps } from "../app/workflow-tasks";
import { noPayments, noWorkflow, now, store } from "../shared/store";
import { escrowRef, taskHandler } from "./task";

const deps = { store, workflow: noWorkflow, payments: noPayments, now };

/** EscalateToOps: mark the escrow; the workflow then alerts ops and waits for their resolution. */
export const handler = taskHandler(
  z.object({ ...escrowRef, afterStep: z.string(), error: z.string(), cause: z._default(z.string(), "") }),
  (input) => escalateToOps(deps, input),
);
