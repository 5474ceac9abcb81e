import * as z from "zod/mini";
import { beginWait } from "../app/workflow-tasks";
import { loadEnv } from "../shared/config";
import { events } from "../shared/events";
import { now, store } from "../shared/store";
import { workflow } from "../shared/workflow";
import { escrowRef, taskHandler } from "./task";

const deps = {
  store,
  workflow,
  events,
  now,
  ...(({ PARK_AFTER_SECONDS, REMINDER_EARLY_SECONDS }) => ({
    parkAfterSeconds: PARK_AFTER_SECONDS,
    reminderEarlySeconds: REMINDER_EARLY_SECONDS,
  }))(loadEnv(["PARK_AFTER_SECONDS", "REMINDER_EARLY_SECONDS"])),
};

/** Every waitForTaskToken state: announce the step, store the token, catch up or park from the record. */
export const handler = taskHandler(
  z.object({
    ...escrowRef,
    seenVersion: z.int().check(z.minimum(1)),
    execution: z.string().check(z.minLength(1)),
    taskToken: z.string().check(z.minLength(1)),
  }),
  (input) => beginWait(deps, input),
);
