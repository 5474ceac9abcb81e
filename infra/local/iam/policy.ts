/**
 * IAM policy documents as the synthesized template writes them, once its
 * intrinsic functions are resolved to local ARNs (template-policies.ts), and
 * the request the evaluator decides on.
 */

export type OneOrMore<T> = T | T[];

/** `"*"`, `{ AWS: ... }`, `{ Service: ... }`: who a resource policy's statement speaks of. */
export type Principal = "*" | { AWS?: OneOrMore<string>; Service?: OneOrMore<string> };

export interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action?: OneOrMore<string>;
  NotAction?: OneOrMore<string>;
  Resource?: OneOrMore<string>;
  NotResource?: OneOrMore<string>;
  Principal?: Principal;
  /** Operator → condition key → value(s): `{ "ArnLike": { "aws:SourceArn": "arn:…" } }`. */
  Condition?: Record<string, Record<string, OneOrMore<string | boolean>>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: OneOrMore<Statement>;
}

/** The request context the evaluator gives condition keys (names are compared case-insensitively). */
export type RequestContext = Record<string, string | string[] | boolean | undefined>;

export interface AccessRequest {
  /** `service:Operation`, e.g. `dynamodb:UpdateItem`. */
  action: string;
  /** The resource's ARN as AWS sees it (a table's index: `…:table/<name>/index/<index>`), or `*`. */
  resource: string;
  /** Who asks: a role ARN (`arn:aws:iam::<account>:role/<name>`) or a service principal. Resource policies only. */
  principal?: { type: "AWS" | "Service"; id: string };
  context?: RequestContext;
}

export const asArray = <T>(value: OneOrMore<T> | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
