import * as z from "zod";
import { escalateToOps } from "../app/workflow-tasks";
import { noPayments, noWorkflow, now, store } from "../shared/store";
import { EscrowRefInput, taskHandler } from "./task";

const deps = { store, workflow: noWorkflow, payments: noPayments, now };

/** EscalateToOps: mark the escrow; the workflow then alerts ops and waits for their resolution. */
export const handler = taskHandler(
  EscrowRefInput.extend({ afterStep: z.string(), error: z.string(), cause: z.string().default("") }),
  (input) => escalateToOps(deps, input),
);
