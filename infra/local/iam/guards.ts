import type { IncomingHttpHeaders } from "node:http";
import type { SnsServiceError } from "../sns/types";
import type { SfnServiceError } from "../step-functions/errors";
import type { SnsPublish } from "../step-functions/types";
import {
  dynamoAccessDenied,
  lambdaInvokeDenied,
  sfnAccessDenied,
  snsAuthorizationError,
  snsKmsAccessDenied,
} from "./access-denied";
import { dynamoCalls, SNS_PUBLISH_KEY_ACTIONS, sfnCall, snsCall } from "./aws-requests";
import { callerOf } from "./caller";
import type { LocalIam } from "./local-iam";
import { STATE_MACHINE_PRINCIPAL } from "./model";

/**
 * Where the local IAM sits in front of each local service: the hooks the
 * Step Functions and SNS endpoints, the DynamoDB meter, the workflow engine
 * and the API gateway call before they act. A request that names no caller
 * comes from outside the service's process (a test, the aws CLI) and is not
 * checked.
 */

export function sfnAuthorizer(iam: LocalIam, stateMachineArn: string) {
  return (operation: string, body: Record<string, unknown>, headers: IncomingHttpHeaders) => {
    const caller = callerOf(headers);
    if (caller === undefined) return undefined;
    const { action, resource } = sfnCall(operation, body, stateMachineArn);
    const refused = iam.authorize(caller, action, resource);
    return refused === undefined ? undefined : (sfnAccessDenied(refused) as SfnServiceError);
  };
}

/** `sns:<Action>` on the topic; for a publish to an encrypted topic, the key's use too (SNS SSE). */
function snsRefusal(iam: LocalIam, principal: string, operation: string, form: URLSearchParams) {
  const { action, resource } = snsCall(operation, form);
  const refused = iam.authorize(principal, action, resource);
  if (refused !== undefined) return snsAuthorizationError(refused) as SnsServiceError;
  const key = operation === "Publish" ? iam.model.topicKeys[resource] : undefined;
  if (key)
    for (const keyAction of SNS_PUBLISH_KEY_ACTIONS) {
      const keyRefused = iam.authorize(principal, keyAction, key);
      if (keyRefused !== undefined) return snsKmsAccessDenied(keyRefused) as SnsServiceError;
    }
  return undefined;
}

export function snsAuthorizer(iam: LocalIam) {
  return (operation: string, form: URLSearchParams, headers: IncomingHttpHeaders) => {
    const caller = callerOf(headers);
    return caller === undefined ? undefined : snsRefusal(iam, caller, operation, form);
  };
}

/** The workflow's own `sns:publish` tasks, made with the state machine's role. */
export function guardStateMachinePublish(iam: LocalIam, publish: SnsPublish): SnsPublish {
  return async (params) => {
    const form = new URLSearchParams();
    if (params.TopicArn) form.set("TopicArn", params.TopicArn);
    if (params.TargetArn) form.set("TargetArn", params.TargetArn);
    const refused = snsRefusal(iam, STATE_MACHINE_PRINCIPAL, "Publish", form);
    if (refused) throw refused;
    return publish(params);
  };
}

/** The workflow's Lambda tasks: lambda:InvokeFunction by the state machine's role. */
export function stateMachineInvokeAuthorizer(iam: LocalIam, functionArnOf: (name: string) => string) {
  return (functionName: string) => {
    const refused = iam.authorize(
      STATE_MACHINE_PRINCIPAL,
      "lambda:InvokeFunction",
      functionArnOf(functionName),
    );
    return refused === undefined ? undefined : lambdaInvokeDenied(refused);
  };
}

/** DynamoDB, in the meter that stands in front of the store: the refusal to send back, if any. */
export function dynamoAuthorizer(iam: LocalIam, tableArn: (name: string) => string) {
  return (headers: IncomingHttpHeaders, operation: string, body: Buffer) => {
    const caller = callerOf(headers);
    if (caller === undefined) return undefined;
    let input: unknown;
    try {
      input = JSON.parse(body.toString("utf8") || "{}");
    } catch {
      return undefined; // DynamoDB answers a body it cannot read itself
    }
    for (const { action, resource } of dynamoCalls(operation, input, tableArn)) {
      const refused = iam.authorize(caller, action, resource);
      if (refused !== undefined) return dynamoAccessDenied(refused);
    }
    return undefined;
  };
}
