import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";

/**
 * API Gateway proxy events as the REST API hands them to a handler after its
 * Cognito authorizer: the token's claims (all strings) in
 * `requestContext.authorizer.claims`. `clientId: null` is a request the
 * authorizer passed no claims for.
 */

export type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export const context = {
  functionName: "test",
  awsRequestId: "req-1",
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

export const CREATE_BODY = {
  buyerId: "u-1",
  sellerId: "u-2",
  amount: 12999,
  currency: "CNY",
  paymentMethod: "pm_sandbox_ok",
};

export function apiEvent(
  overrides: Partial<APIGatewayProxyEvent> & { scope?: string; clientId?: string | null } = {},
): APIGatewayProxyEvent {
  const { scope = "escrow/marketplace", clientId = "demo-marketplace", ...rest } = overrides;
  return {
    httpMethod: "POST",
    path: "/v1/escrows",
    resource: "/v1/escrows",
    headers: { "Content-Type": "application/json", "Idempotency-Key": "k-1" },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    isBase64Encoded: false,
    body: JSON.stringify(CREATE_BODY),
    requestContext: {
      authorizer:
        clientId === null ? undefined : { claims: { client_id: clientId, token_use: "access", scope } },
    } as unknown as APIGatewayProxyEvent["requestContext"],
    ...rest,
  };
}

export const problemOf = (r: APIGatewayProxyResult) =>
  JSON.parse(r.body) as { status: number; code: string; detail: string; errors?: { path: string }[] };

/** Environment every handler reads at cold start (the stack sets the same names). */
export const HANDLER_ENV = {
  TABLE_NAME: "escrow-table",
  STATE_MACHINE_ARN: "arn:aws:states:us-east-1:123456789012:stateMachine:escrow",
  EVENTS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:events",
  OPS_ALERTS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:ops-alerts",
  OPS_CONSOLE_URL: "https://api.example.com/prod/ops/",
  EXECUTION_CONSOLE_URL:
    "https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/{executionArn}",
  AWS_REGION: "us-east-1",
  POWERTOOLS_LOG_LEVEL: "SILENT",
};
