import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { RECONCILE_RESERVE_MS, reconcile } from "../app/reconcile";
import { loadEnv } from "../shared/config";
import { events } from "../shared/events";
import { logger } from "../shared/logger";
import { now, store } from "../shared/store";
import { workflow } from "../shared/workflow";

const { REMINDER_EARLY_SECONDS: reminderEarlySeconds, RECONCILE_SECONDS: periodSeconds } = loadEnv([
  "REMINDER_EARLY_SECONDS",
  "RECONCILE_SECONDS",
]);

/**
 * The reconciler, on its schedule: brings every stranded escrow back to where
 * its record says it is, and publishes reminders and owed events. Asked
 * `{ nextDueAfter }`, it only answers when the soonest mark after that time
 * is (the local runtime wakes it then, so a reminder goes out on time).
 */
export const handler = middy<{ nextDueAfter?: string } | undefined, unknown, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event, context) => {
    if (typeof event?.nextDueAfter === "string")
      return { nextDue: await store.marks.nextDue(event.nextDueAfter) };
    const budgetMs = Math.max(1_000, context.getRemainingTimeInMillis() - RECONCILE_RESERVE_MS);
    const report = await reconcile(
      { store, workflow, events, now, reminderEarlySeconds, periodSeconds },
      { budgetMs },
    );
    logger.info("reconciled", { ...report });
    return report;
  });
