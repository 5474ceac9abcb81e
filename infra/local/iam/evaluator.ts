import { checkConditionOperators, conditionsHold } from "./conditions";
import { type AccessRequest, asArray, type PolicyDocument, type Principal, type Statement } from "./policy";
import { matchesAction, matchesResource } from "./wildcard";

/**
 * The decision of one set of policies on one request, AWS's way: an explicit
 * Deny in any matching statement wins; otherwise a matching Allow allows;
 * otherwise the request is implicitly denied. Statements must have been
 * checked with `checkPolicies` (unknown condition operators refused).
 */
export type Decision =
  | { effect: "Allow"; statement: Statement; via: "identity" | "principal" | "account" }
  | { effect: "ExplicitDeny"; statement: Statement }
  | { effect: "ImplicitDeny" };

export function checkPolicies(policies: readonly PolicyDocument[], where: string): void {
  for (const policy of policies)
    for (const statement of asArray(policy.Statement)) {
      if (statement.Effect !== "Allow" && statement.Effect !== "Deny")
        throw new Error(`${where}: statement Effect ${String(statement.Effect)}`);
      if (!statement.Action && !statement.NotAction) throw new Error(`${where}: statement without Action`);
      checkConditionOperators(statement.Condition, where);
    }
}

const ACCOUNT_ROOT = /^arn:[^:]+:iam::(\d{12}):root$/;
const accountOf = (arn: string) => /^arn:[^:]+:(?:iam|sts)::(\d{12}):/.exec(arn)?.[1];

/**
 * How a resource policy's Principal covers the caller: the caller itself (or
 * anyone), its whole account (then, as AWS does for a same-account
 * principal, the caller's own policies must allow too), or not at all.
 */
function principalMatch(principal: Principal | undefined, request: AccessRequest) {
  if (principal === undefined) return "identity" as const; // an identity policy: no Principal element
  const who = request.principal;
  if (principal === "*") return "principal" as const;
  if (!who) return undefined;
  if (who.type === "Service")
    return asArray(principal.Service).includes(who.id) ? ("principal" as const) : undefined;
  for (const entry of asArray(principal.AWS)) {
    if (entry === "*" || entry === who.id) return "principal" as const;
    const root = ACCOUNT_ROOT.exec(entry);
    if (root && root[1] === accountOf(who.id)) return "account" as const;
    if (/^\d{12}$/.test(entry) && entry === accountOf(who.id)) return "account" as const;
  }
  return undefined;
}

function covers(statement: Statement, request: AccessRequest): boolean {
  if (statement.Action && !asArray(statement.Action).some((a) => matchesAction(a, request.action)))
    return false;
  if (statement.NotAction && asArray(statement.NotAction).some((a) => matchesAction(a, request.action)))
    return false;
  if (statement.Resource && !asArray(statement.Resource).some((r) => matchesResource(r, request.resource)))
    return false;
  if (
    statement.NotResource &&
    asArray(statement.NotResource).some((r) => matchesResource(r, request.resource))
  )
    return false;
  return conditionsHold(statement.Condition, request.context);
}

export function evaluate(policies: readonly PolicyDocument[], request: AccessRequest): Decision {
  let allow: Decision | undefined;
  for (const policy of policies)
    for (const statement of asArray(policy.Statement)) {
      const via = principalMatch(statement.Principal, request);
      if (!via || !covers(statement, request)) continue;
      if (statement.Effect === "Deny") return { effect: "ExplicitDeny", statement };
      // A statement naming the caller outranks one naming its account (it needs nothing more).
      if (!allow || (allow.effect === "Allow" && allow.via === "account" && via !== "account"))
        allow = { effect: "Allow", statement, via };
    }
  return allow ?? { effect: "ImplicitDeny" };
}
