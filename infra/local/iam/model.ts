import type { PolicyDocument } from "./policy";

/**
 * What the local IAM needs from the synthesized template, with every ARN
 * resolved to its local form (template-policies.ts builds it). Plain JSON:
 * the store process gets a copy to check the functions' DynamoDB calls.
 */

/** The state machine's role, as a principal of the report and of the checks. */
export const STATE_MACHINE_PRINCIPAL = "StateMachine";

export interface GrantJustification {
  actions: string[];
  /** Resolved resource patterns; absent: every resource of the statement. */
  resources?: string[];
  reason: string;
}

export interface IamPolicy {
  /** The policy's logical id in the template. */
  name: string;
  document: PolicyDocument;
  justifications: GrantJustification[];
}

export interface IamPrincipal {
  /** A function's id (`escrow:functionId`), or STATE_MACHINE_PRINCIPAL. */
  id: string;
  roleArn: string;
  /** The ARN AWS names in a refusal: `arn:aws:sts::<account>:assumed-role/<role>/<session>`. */
  sessionArn: string;
  policies: IamPolicy[];
}

export interface InvokePermission {
  /** The template's logical id of the AWS::Lambda::Permission. */
  name: string;
  functionArn: string;
  /** A resource policy statement (Principal, Action, Resource, Condition on aws:SourceArn...). */
  document: PolicyDocument;
}

export interface IamModel {
  account: string;
  region: string;
  principals: Record<string, IamPrincipal>;
  /** Function ARN → the principal id of the function. */
  functionIds: Record<string, string>;
  /** Lambda resource policies: who may invoke a function (API Gateway, EventBridge). */
  invokePermissions: InvokePermission[];
  /** Topic ARN → its resource policy. */
  topicPolicies: Record<string, PolicyDocument>;
  /** Topic ARN → the ARN of the KMS key that encrypts it. */
  topicKeys: Record<string, string>;
  /** Key ARN → its key policy. */
  keyPolicies: Record<string, PolicyDocument>;
  /** The REST API's execute-api ARN prefix: `arn:aws:execute-api:<region>:<account>:<api>/<stage>`. */
  executeApiArn?: string;
  /** Scheduled rules: their ARN and the function each invokes. */
  schedules: { ruleArn: string; functionArn: string }[];
}
