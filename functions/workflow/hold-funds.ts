import * as z from "zod/mini";
import { holdFunds } from "../app/workflow-tasks";
import { payments } from "../shared/payments";
import { now, store } from "../shared/store";
import { escrowRef, taskHandler } from "./task";

/** HoldFunds: PaymentDeclined / PaymentUnavailable / ResumeFromRecord propagate by name to the state's Retry and Catch. */
export const handler = taskHandler(
  z.object({ ...escrowRef, resumeFrom: z.optional(z.string()), balance: z.optional(z.boolean()) }),
  (input) => holdFunds({ store, payments, now }, input),
);
