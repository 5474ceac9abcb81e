import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { reconcile } from "../app/reconcile";
import { events } from "../shared/events";
import { logger } from "../shared/logger";
import { now, store } from "../shared/store";
import { workflow } from "../shared/workflow";

/** The reconciler, on its schedule: brings every stranded escrow back to where its record says it is. */
export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async () => {
    const report = await reconcile({ store, workflow, events, now });
    logger.info("reconciled", { ...report });
    return report;
  });
