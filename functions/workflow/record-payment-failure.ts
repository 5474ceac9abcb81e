import * as z from "zod/mini";
import { recordPaymentFailure } from "../app/workflow-tasks";
import { events } from "../shared/events";
import { payments } from "../shared/payments";
import { now, store } from "../shared/store";
import { escrowRef, taskHandler } from "./task";

/** RecordPaymentFailure: `error` is the name of the error HoldFunds failed with. */
export const handler = taskHandler(
  z.object({ ...escrowRef, error: z.string().check(z.minLength(1)), balance: z.optional(z.boolean()) }),
  (input) => recordPaymentFailure({ store, payments, events, now }, input),
);
