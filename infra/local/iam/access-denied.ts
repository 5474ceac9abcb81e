import { randomUUID } from "node:crypto";
import { SnsServiceError } from "../sns/types";
import { SfnServiceError } from "../step-functions/errors";

/**
 * AWS's refusals, shaped as each service's protocol sends them (the SDK
 * raises `AccessDeniedException`, `AuthorizationErrorException`,
 * `KMSAccessDeniedException`; none of them is retried).
 */

/** DynamoDB: HTTP 400, JSON 1.0, the coral service's AccessDeniedException. */
export function dynamoAccessDenied(message: string) {
  const body = JSON.stringify({ __type: "com.amazon.coral.service#AccessDeniedException", Message: message });
  return {
    statusCode: 400,
    headers: {
      "content-type": "application/x-amz-json-1.0",
      "content-length": String(Buffer.byteLength(body)),
      "x-amzn-requestid": randomUUID(),
    },
    body,
  };
}

/** Step Functions: HTTP 400, AccessDeniedException. */
export const sfnAccessDenied = (message: string) =>
  new SfnServiceError("AccessDeniedException", message, 400);

/** SNS without sns:<Action>: HTTP 403, `AuthorizationError` (Type Sender). */
export const snsAuthorizationError = (message: string) =>
  new SnsServiceError("AuthorizationError", message, 403);

/** SNS when the topic's key refuses the publisher: HTTP 400, `KMSAccessDenied`. */
export const snsKmsAccessDenied = (message: string) =>
  new SnsServiceError(
    "KMSAccessDenied",
    `${message} (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException; Request ID: ${randomUUID()})`,
    400,
  );

/** A Task whose Lambda the state machine's role may not invoke: the error its Retry and Catch see. */
export function lambdaInvokeDenied(message: string): Error {
  const error = new Error(
    `${message} (Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException; Request ID: ${randomUUID()})`,
  );
  error.name = "Lambda.AWSLambdaException";
  return error;
}
