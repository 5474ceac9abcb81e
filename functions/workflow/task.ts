import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import * as z from "zod/mini";
import { ESCROW_ID } from "../domain/escrow-id";
import { logger } from "../shared/logger";

/** What every task receives from the workflow: which escrow. */
export const escrowRef = {
  tenantId: z.string().check(z.minLength(1)),
  escrowId: z.string().check(z.regex(ESCROW_ID)),
  /** The execution the task runs in: one the record no longer names ends without acting. */
  execution: z.optional(z.string().check(z.minLength(1))),
};
export const EscrowRefInput = z.object(escrowRef);

/**
 * A thin task handler: the payload is checked against the task's schema (a
 * malformed payload is a bug in the definition, so it fails loudly and the
 * workflow escalates), then one call into the workflow tasks.
 */
export function taskHandler<I, O>(schema: z.ZodMiniType<I>, fn: (input: I) => Promise<O>) {
  return middy<unknown, O, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event) => {
      const input = schema.parse(event);
      const ref = input as { tenantId?: string; escrowId?: string };
      logger.appendKeys({ tenantId: ref.tenantId, escrowId: ref.escrowId });
      return fn(input);
    });
}
