import { NOT_EXERCISED_METADATA } from "../../constructs/grant-justification";
import { LOCAL_ACCOUNT, LOCAL_REGION, makeResolver, type Template } from "../template";
import { checkPolicies } from "./evaluator";
import {
  type GrantJustification,
  type IamModel,
  type IamPolicy,
  type IamPrincipal,
  type InvokePermission,
  STATE_MACHINE_PRINCIPAL,
} from "./model";
import type { PolicyDocument, Statement } from "./policy";

/**
 * Reads the IAM side of the synthesized template: each function's role and
 * the policies attached to it (customer managed, inline, or AWS::IAM::Policy),
 * the state machine's role, the functions' invoke permissions, the topics'
 * and keys' policies. Intrinsic functions resolve to the local ARNs the
 * local services use (template.ts), so a policy is matched against the very
 * ARNs the handlers call. Anything the evaluator cannot model (an AWS managed
 * policy, an unknown condition operator) fails the start rather than
 * letting a call through unchecked.
 */

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is untyped; what is used is checked
type Cfn = Record<string, any>;

const refOf = (value: unknown): string | undefined => {
  if (!value || typeof value !== "object") return undefined;
  const v = value as Cfn;
  if (typeof v.Ref === "string") return v.Ref;
  if (Array.isArray(v["Fn::GetAtt"])) return String(v["Fn::GetAtt"][0]);
  return undefined;
};

export function readIamModel(template: Template, tableName = "escrow-local"): IamModel {
  const resolve = makeResolver(template, tableName);
  const resources = Object.entries(template.Resources);
  const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);
  const roleArn = (roleId: string) => `arn:aws:iam::${LOCAL_ACCOUNT}:role/${roleId}`;

  // Role → the policies attached to it.
  const attached = new Map<string, IamPolicy[]>();
  const attach = (roleId: string, policy: IamPolicy) =>
    attached.set(roleId, [...(attached.get(roleId) ?? []), policy]);
  const policyOf = (name: string, document: Cfn, metadata: Cfn | undefined): IamPolicy => {
    const resolved = resolve(document, `${name}.PolicyDocument`) as PolicyDocument;
    checkPolicies([resolved], name);
    const justifications = (resolve(metadata?.[NOT_EXERCISED_METADATA] ?? [], `${name}.Metadata`) ??
      []) as GrantJustification[];
    return { name, document: resolved, justifications };
  };
  for (const type of ["AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"])
    for (const [id, r] of ofType(type))
      for (const role of (r.Properties?.Roles ?? []) as unknown[]) {
        const roleId = refOf(role);
        if (roleId) attach(roleId, policyOf(id, r.Properties?.PolicyDocument, r.Metadata));
      }
  const policiesOfRole = (roleId: string): IamPolicy[] => {
    const role = template.Resources[roleId];
    if (role?.Type !== "AWS::IAM::Role") throw new Error(`${roleId} is not an IAM role of the template`);
    const policies = [...(attached.get(roleId) ?? [])];
    for (const inline of (role.Properties?.Policies ?? []) as Cfn[])
      policies.push(policyOf(`${roleId}.${inline.PolicyName}`, inline.PolicyDocument, role.Metadata));
    for (const arn of (role.Properties?.ManagedPolicyArns ?? []) as unknown[]) {
      const id = refOf(arn);
      if (id && template.Resources[id]?.Type === "AWS::IAM::ManagedPolicy") continue; // attached above
      throw new Error(
        `${roleId} has the managed policy ${JSON.stringify(arn)}, which the local IAM cannot read: ` +
          "write the grants out in a customer managed policy",
      );
    }
    return policies;
  };
  const principal = (id: string, roleRef: unknown, session: string): IamPrincipal => {
    const roleId = refOf(roleRef);
    if (!roleId) throw new Error(`${id}: cannot tell its role from ${JSON.stringify(roleRef)}`);
    return {
      id,
      roleArn: roleArn(roleId),
      sessionArn: `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${roleId}/${session}`,
      policies: policiesOfRole(roleId),
    };
  };

  const principals: Record<string, IamPrincipal> = {};
  const functionIds: Record<string, string> = {};
  for (const [logicalId, r] of ofType("AWS::Lambda::Function")) {
    const id = r.Metadata?.["escrow:functionId"];
    if (typeof id !== "string") continue; // not one of the service's functions (none today)
    principals[id] = principal(id, r.Properties?.Role, logicalId);
    functionIds[String(resolve({ "Fn::GetAtt": [logicalId, "Arn"] }, logicalId))] = id;
  }
  for (const [logicalId, r] of ofType("AWS::StepFunctions::StateMachine"))
    principals[STATE_MACHINE_PRINCIPAL] = principal(
      STATE_MACHINE_PRINCIPAL,
      r.Properties?.RoleArn,
      logicalId,
    );

  const invokePermissions: InvokePermission[] = ofType("AWS::Lambda::Permission").map(([name, r]) => {
    const p = resolve(r.Properties, name) as Cfn;
    const principalName = String(p.Principal);
    const condition: Statement["Condition"] = {};
    if (p.SourceArn) condition.ArnLike = { "aws:SourceArn": String(p.SourceArn) };
    if (p.SourceAccount) condition.StringEquals = { "aws:SourceAccount": String(p.SourceAccount) };
    const statement: Statement = {
      Effect: "Allow",
      Principal: principalName.endsWith(".amazonaws.com")
        ? { Service: principalName }
        : { AWS: principalName },
      Action: String(p.Action),
      Resource: String(p.FunctionName),
      ...(Object.keys(condition).length ? { Condition: condition } : {}),
    };
    const document = { Version: "2012-10-17", Statement: [statement] };
    checkPolicies([document], name);
    return { name, functionArn: String(p.FunctionName), document };
  });

  const topicPolicies: Record<string, PolicyDocument> = {};
  for (const [name, r] of ofType("AWS::SNS::TopicPolicy")) {
    const document = resolve(r.Properties?.PolicyDocument, name) as PolicyDocument;
    checkPolicies([document], name);
    for (const topic of (resolve(r.Properties?.Topics ?? [], name) as string[]) ?? [])
      topicPolicies[topic] = document;
  }
  const topicKeys: Record<string, string> = {};
  for (const [name, r] of ofType("AWS::SNS::Topic"))
    if (r.Properties?.KmsMasterKeyId)
      topicKeys[String(resolve({ Ref: name }, name))] = String(resolve(r.Properties.KmsMasterKeyId, name));
  const keyPolicies: Record<string, PolicyDocument> = {};
  for (const [name, r] of ofType("AWS::KMS::Key")) {
    const document = resolve(r.Properties?.KeyPolicy, name) as PolicyDocument;
    checkPolicies([document], name);
    keyPolicies[String(resolve({ "Fn::GetAtt": [name, "Arn"] }, name))] = document;
  }

  const api = ofType("AWS::ApiGateway::RestApi")[0]?.[0];
  const stage = ofType("AWS::ApiGateway::Stage")[0]?.[1].Properties?.StageName;
  const schedules = ofType("AWS::Events::Rule").flatMap(([name, r]) =>
    ((r.Properties?.Targets ?? []) as Cfn[]).map((t) => ({
      ruleArn: String(resolve({ "Fn::GetAtt": [name, "Arn"] }, name)),
      functionArn: String(resolve(t.Arn, `${name}.Targets`)),
    })),
  );

  return {
    account: LOCAL_ACCOUNT,
    region: LOCAL_REGION,
    principals,
    functionIds,
    invokePermissions,
    topicPolicies,
    topicKeys,
    keyPolicies,
    ...(api && stage
      ? { executeApiArn: `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${api}/${stage}` }
      : {}),
    schedules,
  };
}
