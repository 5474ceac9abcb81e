import * as z from "zod/mini";
import { applyDeadline } from "../app/workflow-tasks";
import { now, store } from "../shared/store";
import { escrowRef, taskHandler } from "./task";

/** DeliveryWindowEnded, ConfirmationWindowEnded, …: a wait timed out. */
export const handler = taskHandler(
  z.object({ ...escrowRef, seenVersion: z.int().check(z.minimum(1)) }),
  (input) => applyDeadline({ store, now }, input),
);
