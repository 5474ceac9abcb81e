import * as z from "zod/mini";
import { escalateToOps } from "../app/workflow-tasks";
import { events } from "../shared/events";
import { now, store } from "../shared/store";
import { escrowRef, taskHandler } from "./task";

/** EscalateToOps: mark the escrow, alert ops and park it for their resolution. */
export const handler = taskHandler(
  z.object({
    ...escrowRef,
    error: z.string(),
    cause: z._default(z.string(), ""),
  }),
  (input) => escalateToOps({ store, events, now }, input),
);
