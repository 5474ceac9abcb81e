/**
 * The IAM action and resource ARN(s) of a call, as AWS's authorization sees
 * them (the Service Authorization Reference): the action is the API
 * operation; the resource is the one the operation names, with DynamoDB's
 * indexes as `…:table/<table>/index/<index>`, Step Functions' executions as
 * `…:execution:<state machine>:<name>` and a task token's calls on the state
 * machine it belongs to.
 */
export interface ActionOnResource {
  action: string;
  resource: string;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** DynamoDB (JSON 1.0, `X-Amz-Target: DynamoDB_20120810.<Operation>`). */
export function dynamoCalls(
  operation: string,
  body: unknown,
  tableArn: (name: string) => string,
): ActionOnResource[] {
  const input = isObject(body) ? body : {};
  const on = (action: string, table: unknown, index?: unknown) => ({
    action: `dynamodb:${action}`,
    resource: `${tableArn(String(table))}${typeof index === "string" ? `/index/${index}` : ""}`,
  });
  switch (operation) {
    case "BatchGetItem":
    case "BatchWriteItem":
      return Object.keys(isObject(input.RequestItems) ? input.RequestItems : {}).map((t) => on(operation, t));
    case "TransactGetItems":
    case "TransactWriteItems": {
      // Each item is authorized as its own operation (Get, Put, Update, Delete, ConditionCheckItem).
      const items = Array.isArray(input.TransactItems) ? input.TransactItems : [];
      return items.flatMap((item) =>
        Object.entries(isObject(item) ? item : {}).map(([kind, call]) =>
          on(
            kind === "ConditionCheck" ? "ConditionCheckItem" : `${kind}Item`,
            isObject(call) ? call.TableName : "",
          ),
        ),
      );
    }
    case "ListTables":
      return [{ action: "dynamodb:ListTables", resource: "*" }];
    default:
      return [
        on(
          operation,
          input.TableName,
          operation === "Query" || operation === "Scan" ? input.IndexName : undefined,
        ),
      ];
  }
}

/** Step Functions (JSON 1.0, `X-Amz-Target: AWSStepFunctions.<Operation>`). */
export function sfnCall(operation: string, body: unknown, stateMachineArn: string): ActionOnResource {
  const input = isObject(body) ? body : {};
  const action = `states:${operation}`;
  switch (operation) {
    case "SendTaskSuccess":
    case "SendTaskFailure":
    case "SendTaskHeartbeat":
      // A token belongs to an execution of the one local state machine.
      return { action, resource: stateMachineArn };
    case "DescribeExecution":
    case "GetExecutionHistory":
    case "StopExecution":
      return { action, resource: String(input.executionArn ?? "") };
    case "ListStateMachines":
      return { action, resource: "*" };
    default:
      return { action, resource: String(input.stateMachineArn ?? "") };
  }
}

/** SNS (Query protocol, `Action=<Operation>`): the topic it names. */
export function snsCall(operation: string, form: URLSearchParams): ActionOnResource {
  return {
    action: `sns:${operation}`,
    resource: form.get("TopicArn") ?? form.get("TargetArn") ?? form.get("ResourceArn") ?? "*",
  };
}

/** What SNS server-side encryption asks of a publisher's role on the topic's key. */
export const SNS_PUBLISH_KEY_ACTIONS = ["kms:GenerateDataKey", "kms:Decrypt"] as const;
