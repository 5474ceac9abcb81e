import { randomUUID } from "node:crypto";
import type { TaskSpec } from "./definition";
import { lambdaError, taskError } from "./errors";
import { toJson } from "./json";
import type { Runtime } from "./runtime";
import type { JsonObject, JsonValue, SnsPublish, SnsPublishParams, TaskHandler } from "./types";

/**
 * What a Task does: invoke a Lambda handler in-process (`lambda:invoke`, a
 * bare function ARN) or publish to SNS (`sns:publish`), failing the way the
 * AWS integration fails so that Retry and Catch see AWS's error names.
 */

const FUNCTION_ARN = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$/;

/** Runs the task's action. Resolves with the task result (the integration's response). */
export async function invokeTask(rt: Runtime, spec: TaskSpec, params: JsonValue): Promise<JsonValue> {
  if (spec.kind === "sns") return publish(rt.options.snsPublish as SnsPublish, params);
  const functionName =
    spec.kind === "lambda-arn" ? spec.resource : String((params as JsonObject)?.FunctionName ?? "");
  const handler = findHandler(rt.options.taskHandlers, functionName);
  if (!handler)
    throw taskError(
      "Lambda.ResourceNotFoundException",
      `Function not found: ${functionName} (no local handler is bound to it)`,
    );
  // A role that may not invoke it: Step Functions fails the Task before the function runs.
  const refused = rt.options.authorizeInvoke?.(functionName);
  if (refused) throw refused;
  // An injected Lambda outage: the service fails the invocation before the function runs.
  if (rt.options.faults?.check("lambda", "Invoke"))
    throw taskError(
      "Lambda.ServiceException",
      `Lambda.ServiceException: injected fault, ${functionName} was not invoked ` +
        `(Service: Lambda, Status Code: 500, Request ID: ${randomUUID()})`,
    );
  const payload = spec.kind === "lambda-arn" ? params : ((params as JsonObject).Payload ?? {});
  let result: unknown;
  try {
    result = await handler(structuredClone(payload) as never);
  } catch (error) {
    throw lambdaError(error);
  }
  const json = toJson(result);
  return spec.kind === "lambda-arn" ? json : { ExecutedVersion: "$LATEST", Payload: json, StatusCode: 200 };
}

async function publish(snsPublish: SnsPublish, params: JsonValue): Promise<JsonValue> {
  const p = { ...(params as JsonObject) };
  if (p.Message !== undefined && typeof p.Message !== "string") p.Message = JSON.stringify(p.Message);
  try {
    const out = await snsPublish(p as unknown as SnsPublishParams);
    return toJson({ MessageId: out.MessageId });
  } catch (error) {
    throw taskError(snsErrorName(error), String((error as Error)?.message ?? error));
  }
}

/**
 * The error name a failed SNS call gives the Task, as AWS names it: `SNS.` and
 * the SDK's exception name (the Query-protocol code `InternalError` is the
 * SDK's `InternalErrorException`); an error without a name is `SNS.SnsException`.
 */
export function snsErrorName(error: unknown): string {
  const name = error instanceof Error ? error.name : "Error";
  if (name.startsWith("SNS.")) return name;
  if (name === "Error" || name === "") return "SNS.SnsException";
  return `SNS.${name.endsWith("Exception") ? name : `${name}Exception`}`;
}

function findHandler(handlers: Record<string, TaskHandler>, functionName: string): TaskHandler | undefined {
  if (handlers[functionName]) return handlers[functionName];
  const arn = FUNCTION_ARN.exec(functionName);
  if (arn && handlers[arn[1] as string]) return handlers[arn[1] as string];
  for (const [key, handler] of Object.entries(handlers)) {
    const k = FUNCTION_ARN.exec(key);
    if (k && (k[1] === functionName || k[1] === arn?.[1])) return handler;
  }
  return undefined;
}
