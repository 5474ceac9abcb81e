import type { Statement } from "../../../infra/local/iam/policy";

/**
 * The resource policy statement an API Gateway route's Lambda permission
 * becomes: API Gateway may invoke `functionArn` from `sourceArn` (ArnLike, so
 * `*` stands for the path's parameters).
 */
export const apiGatewayInvoke = (functionArn: string, sourceArn: string): Statement => ({
  Effect: "Allow",
  Principal: { Service: "apigateway.amazonaws.com" },
  Action: "lambda:InvokeFunction",
  Resource: functionArn,
  Condition: { ArnLike: { "aws:SourceArn": sourceArn } },
});
