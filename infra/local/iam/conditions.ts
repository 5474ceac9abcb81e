import type { OneOrMore, RequestContext } from "./policy";
import { matchesGlob, matchesResource } from "./wildcard";

/**
 * The condition operators the evaluator models: those the stack's policies
 * use (Bool, StringEquals, ArnLike) and their close kin. A policy with any
 * other operator is refused when the policies are loaded, not evaluated
 * wrongly: add it here, with a test, when the stack starts using it.
 *
 * AWS's rules kept here: several keys in one operator all have to hold, the
 * values of one key are alternatives; a key missing from the request makes a
 * positive operator false and a negated one (`StringNotEquals`...) true;
 * `…IfExists` holds when the key is missing; key names ignore case, values
 * do not (except `…IgnoreCase` and `Bool`).
 */

type Test = (pattern: string, value: string) => boolean;

const TESTS: Record<string, { test: Test; negated: boolean }> = {
  StringEquals: { test: (p, v) => p === v, negated: false },
  StringNotEquals: { test: (p, v) => p === v, negated: true },
  StringEqualsIgnoreCase: { test: (p, v) => p.toLowerCase() === v.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { test: (p, v) => p.toLowerCase() === v.toLowerCase(), negated: true },
  StringLike: { test: (p, v) => matchesGlob(p, v), negated: false },
  StringNotLike: { test: (p, v) => matchesGlob(p, v), negated: true },
  ArnEquals: { test: matchesResource, negated: false },
  ArnLike: { test: matchesResource, negated: false },
  ArnNotEquals: { test: matchesResource, negated: true },
  ArnNotLike: { test: matchesResource, negated: true },
  Bool: { test: (p, v) => p.toLowerCase() === v.toLowerCase(), negated: false },
};

export type ConditionBlock = Record<string, Record<string, OneOrMore<string | boolean>>>;

/** Throws on an operator the evaluator does not model (called when the policies are loaded). */
export function checkConditionOperators(condition: ConditionBlock | undefined, where: string): void {
  for (const operator of Object.keys(condition ?? {})) {
    const base = operator.replace(/IfExists$/, "");
    if (base !== "Null" && !(base in TESTS))
      throw new Error(
        `${where}: condition operator ${operator} is not modelled by the local IAM evaluator (infra/local/iam/conditions.ts)`,
      );
  }
}

function lookup(context: RequestContext, key: string): string[] | undefined {
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(context))
    if (k.toLowerCase() === lower && v !== undefined) return (Array.isArray(v) ? v : [v]).map(String);
  return undefined;
}

/** Whether every condition of a statement holds for this request context. */
export function conditionsHold(condition: ConditionBlock | undefined, context: RequestContext = {}): boolean {
  for (const [operator, keys] of Object.entries(condition ?? {})) {
    const ifExists = operator.endsWith("IfExists");
    const base = operator.replace(/IfExists$/, "");
    for (const [key, expected] of Object.entries(keys)) {
      const patterns = (Array.isArray(expected) ? expected : [expected]).map(String);
      const values = lookup(context, key);
      if (base === "Null") {
        // `"Null": { key: "true" }` holds when the key is absent.
        if (patterns.some((p) => p.toLowerCase() === String(values === undefined))) continue;
        return false;
      }
      const { test, negated } = TESTS[base] as { test: Test; negated: boolean };
      if (values === undefined) {
        if (ifExists || negated) continue;
        return false;
      }
      const matched = values.some((v) => patterns.some((p) => test(p, v)));
      if (negated ? matched : !matched) return false;
    }
  }
  return true;
}
