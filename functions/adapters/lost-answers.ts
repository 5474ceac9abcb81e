import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { FinalizeHandler, FinalizeHandlerArguments, HandlerExecutionContext } from "@smithy/types";

/**
 * The SDK retries a call whose answer was lost (a timeout, a dropped
 * connection) and, when its last attempt fails too, reports only that one:
 * an error DynamoDB answered, or a refused condition — though an earlier
 * attempt may have landed. This watches every attempt of every call on the
 * client and marks the error it finally throws `$lostAnswer: true` when any
 * attempt ended without DynamoDB's answer, so the caller knows the write may
 * have taken effect (functions/ports/write-outcome.ts).
 */
const watched = new WeakSet<DynamoDBClient>();

interface AttemptContext {
  lostAnswer?: boolean;
}

const answered = (error: unknown): boolean =>
  typeof (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode ===
  "number";

export function watchLostAnswers(client: DynamoDBClient): void {
  if (watched.has(client)) return;
  watched.add(client);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if ((context as AttemptContext).lostAnswer && error !== null && typeof error === "object")
          Object.assign(error, { $lostAnswer: true });
        throw error;
      }
    },
    { step: "initialize", name: "escrowLostAnswerMark", override: true },
  );
  client.middlewareStack.addRelativeTo(
    <Output extends object>(next: FinalizeHandler<object, Output>, context: HandlerExecutionContext) =>
      async (args: FinalizeHandlerArguments<object>) => {
        try {
          return await next(args);
        } catch (error) {
          if (!answered(error)) (context as AttemptContext).lostAnswer = true;
          throw error;
        }
      },
    { relation: "after", toMiddleware: "retryMiddleware", name: "escrowAttemptWatch", override: true },
  );
}
