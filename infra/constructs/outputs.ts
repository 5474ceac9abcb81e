/** The stack's output keys (read back by infra/register-client.ts, the local runtime and operators). */
export const OUTPUT = {
  apiUrl: "ApiUrl",
  userPoolId: "UserPoolId",
  tokenEndpoint: "TokenEndpoint",
  stateMachineArn: "StateMachineArn",
  eventsTopicArn: "EventsTopicArn",
  opsAlertsTopicArn: "OpsAlertsTopicArn",
  tableName: "TableName",
  opsConsoleUrl: "OpsConsoleUrl",
  opsConsoleClientId: "OpsConsoleClientId",
} as const;
