import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { reconcile } from "../app/reconcile";
import { loadEnv } from "../shared/config";
import { events } from "../shared/events";
import { logger } from "../shared/logger";
import { now, store } from "../shared/store";
import { workflow } from "../shared/workflow";

const reminderEarlySeconds = loadEnv(["REMINDER_EARLY_SECONDS"]).REMINDER_EARLY_SECONDS;

/**
 * The reconciler, on its schedule: brings every stranded escrow back to where
 * its record says it is, and publishes reminders and owed events. Asked
 * `{ nextDueAfter }`, it only answers when the soonest mark after that time
 * is (the local runtime wakes it then, so a reminder goes out on time).
 */
export const handler = middy<{ nextDueAfter?: string } | undefined>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    if (typeof event?.nextDueAfter === "string") return { nextDue: await store.nextDue(event.nextDueAfter) };
    const report = await reconcile({ store, workflow, events, now, reminderEarlySeconds });
    logger.info("reconciled", { ...report });
    return report;
  });
