import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders, IncomingMessage, Server } from "node:http";
import type { FaultPoint } from "../../../functions/adapters/local-hooks";
import { readBody } from "../http-body";
import { type WireAnswer, type WireListener, wireListener, wireServer } from "../wire-answer";
import { SfnServiceError, stateMachineDoesNotExist, validation } from "./errors";
import { isObject } from "./json";
import type { LocalStepFunctions } from "./service";
import type { ExecutionStatus } from "./types";

/**
 * The AWS JSON 1.0 protocol of Step Functions (`X-Amz-Target:
 * AWSStepFunctions.<Operation>`), as `@aws-sdk/client-sfn` and the aws CLI
 * speak it: parses a call, runs it on the service, answers as AWS does.
 */

const TARGET_PREFIX = "AWSStepFunctions.";

export interface SfnWireOptions {
  /** Injected failures (`/_local/faults`, target `stepfunctions`, operation = the API operation). */
  faults?: FaultPoint;
  /** IAM (infra/local/iam): the refusal of a call, from its operation, body and request headers. */
  authorize?: (
    operation: string,
    body: Record<string, unknown>,
    headers: IncomingHttpHeaders,
  ) => SfnServiceError | undefined;
}

/** Dates become epoch seconds, as the AWS JSON protocol sends timestamps. */
function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toWire(v)]));
  return value;
}

const str = (body: Record<string, unknown>, key: string, required = true): string | undefined => {
  const v = body[key];
  if (v === undefined || v === null) {
    if (required)
      throw validation(
        `1 validation error detected: Value null at '${key}' failed to satisfy constraint: Member must not be null`,
      );
    return undefined;
  }
  if (typeof v !== "string") throw validation(`Value at '${key}' must be a string`);
  return v;
};

const num = (body: Record<string, unknown>, key: string): number | undefined => {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 1000)
    throw validation(`Value at '${key}' must be an integer between 0 and 1000`);
  return v;
};

const STATUSES = new Set(["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"]);

const statusFilter = (body: Record<string, unknown>): ExecutionStatus | undefined => {
  const v = str(body, "statusFilter", false);
  if (v !== undefined && !STATUSES.has(v))
    throw validation(
      `1 validation error detected: Value '${v}' at 'statusFilter' failed to satisfy constraint: ` +
        `Member must satisfy enum value set: [${[...STATUSES].join(", ")}]`,
    );
  return v as ExecutionStatus | undefined;
};

async function dispatch(
  service: LocalStepFunctions,
  operation: string | undefined,
  body: Record<string, unknown>,
  target: string | undefined,
): Promise<unknown> {
  switch (operation) {
    case "StartExecution":
      return service.startExecution({
        stateMachineArn: str(body, "stateMachineArn"),
        name: str(body, "name", false),
        input: str(body, "input", false),
      });
    case "DescribeExecution":
      return service.describeExecution(str(body, "executionArn") as string);
    case "GetExecutionHistory":
      return service.getExecutionHistory(str(body, "executionArn") as string, {
        maxResults: num(body, "maxResults"),
        reverseOrder: body.reverseOrder === true,
        nextToken: str(body, "nextToken", false),
        includeExecutionData: body.includeExecutionData !== false,
      });
    case "ListExecutions":
      return service.listExecutions({
        stateMachineArn: str(body, "stateMachineArn", false),
        statusFilter: statusFilter(body),
        maxResults: num(body, "maxResults"),
        nextToken: str(body, "nextToken", false),
      });
    case "StopExecution":
      return service.stopExecution(
        str(body, "executionArn") as string,
        str(body, "error", false),
        str(body, "cause", false),
      );
    case "SendTaskSuccess":
      await service.sendTaskSuccess(str(body, "taskToken") as string, str(body, "output") as string);
      return {};
    case "SendTaskFailure":
      await service.sendTaskFailure(
        str(body, "taskToken") as string,
        str(body, "error", false),
        str(body, "cause", false),
      );
      return {};
    case "SendTaskHeartbeat":
      await service.sendTaskHeartbeat(str(body, "taskToken") as string);
      return {};
    case "DescribeStateMachine":
      if (str(body, "stateMachineArn") !== service.stateMachineArn)
        throw stateMachineDoesNotExist(body.stateMachineArn);
      return service.describeStateMachine();
    case "ListStateMachines":
      num(body, "maxResults");
      str(body, "nextToken", false);
      return service.listStateMachines();
    default:
      throw new SfnServiceError("UnknownOperationException", `Unknown operation ${String(target)}`);
  }
}

function parseBody(bodyText: string): Record<string, unknown> | undefined {
  try {
    const parsed = bodyText.trim() === "" ? {} : (JSON.parse(bodyText) as unknown);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

const errorAnswer = (e: SfnServiceError, headers: Record<string, string>): WireAnswer => ({
  statusCode: e.statusCode,
  headers: { ...headers, "x-amzn-errortype": e.code },
  body: JSON.stringify({ __type: e.code, message: e.message }),
});

/**
 * Runs one AWS JSON 1.0 call (`X-Amz-Target: AWSStepFunctions.<Operation>`)
 * against the service and returns the HTTP answer to send.
 */
export async function handleSfnJsonRequest(
  service: LocalStepFunctions,
  target: string | undefined,
  bodyText: string,
  options: SfnWireOptions = {},
  requestHeaders: IncomingHttpHeaders = {},
): Promise<WireAnswer> {
  const headers = { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": randomUUID() };
  try {
    const operation = target?.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : undefined;
    const parsedBody = parseBody(bodyText);
    // IAM decides before the service does anything (a refused call changes nothing).
    if (operation && parsedBody && options.authorize) {
      const refused = options.authorize(operation, parsedBody, requestHeaders);
      if (refused) throw refused;
    }
    // An injected outage: answered as AWS answers a transient failure (the SDK retries it), nothing done.
    if (operation && options.faults?.check("stepfunctions", operation))
      throw new SfnServiceError(
        "ServiceUnavailable",
        `Service Unavailable: injected fault, ${operation} was not carried out`,
        503,
      );
    const body = parsedBody;
    if (!body) throw new SfnServiceError("SerializationException", "The request body is not a JSON object");
    const result = await dispatch(service, operation, body, target);
    return { statusCode: 200, headers, body: JSON.stringify(toWire(result)) };
  } catch (error) {
    const e =
      error instanceof SfnServiceError
        ? error
        : new SfnServiceError("InternalFailure", error instanceof Error ? error.message : String(error), 500);
    return errorAnswer(e, headers);
  }
}

const MAX_REQUEST_BYTES = 1024 * 1024;

/** Whether a request is a Step Functions API call (to share one HTTP server with other endpoints). */
export const isSfnRequest = (req: IncomingMessage): boolean =>
  req.method === "POST" && String(req.headers["x-amz-target"] ?? "").startsWith(TARGET_PREFIX);

/** A Node request listener that serves the Step Functions API. */
export function createSfnRequestListener(
  service: LocalStepFunctions,
  options: SfnWireOptions = {},
): WireListener {
  return wireListener(
    async (req) => {
      if (req.method !== "POST") throw new SfnServiceError("UnknownOperationException", "POST only", 405);
      const body = (
        await readBody(
          req,
          MAX_REQUEST_BYTES,
          () => new SfnServiceError("ValidationException", "request too large", 413),
        )
      ).toString("utf8");
      const target = req.headers["x-amz-target"];
      return handleSfnJsonRequest(
        service,
        Array.isArray(target) ? target[0] : target,
        body,
        options,
        req.headers,
      );
    },
    (error) => {
      const e =
        error instanceof SfnServiceError ? error : new SfnServiceError("InternalFailure", String(error), 500);
      return errorAnswer(e, { "content-type": "application/x-amz-json-1.0" });
    },
  );
}

/** An HTTP server for the Step Functions API (not yet listening). Point `AWS_ENDPOINT_URL_SFN` at it. */
export function createSfnHttpServer(service: LocalStepFunctions, options: SfnWireOptions = {}): Server {
  return wireServer(createSfnRequestListener(service, options));
}
