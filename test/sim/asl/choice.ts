import { isObject, type Json, type JsonObject } from "./json";
import { hasPath, readPath } from "./json-path";

/**
 * Choice rules: the comparison operators of the Amazon States Language, with
 * `And`, `Or` and `Not`. A `Variable` that is not there is a States.Runtime
 * error, except for `IsPresent`.
 */

const COMPARISONS = [
  "StringEquals",
  "StringLessThan",
  "StringGreaterThan",
  "StringLessThanEquals",
  "StringGreaterThanEquals",
  "StringMatches",
  "NumericEquals",
  "NumericLessThan",
  "NumericGreaterThan",
  "NumericLessThanEquals",
  "NumericGreaterThanEquals",
  "BooleanEquals",
  "TimestampEquals",
  "TimestampLessThan",
  "TimestampGreaterThan",
  "TimestampLessThanEquals",
  "TimestampGreaterThanEquals",
] as const;
const TYPE_TESTS = ["IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"] as const;
export const CHOICE_OPERATORS: readonly string[] = [
  ...COMPARISONS,
  ...COMPARISONS.map((c) => `${c}Path`),
  ...TYPE_TESTS,
];

export function evaluateRule(rule: JsonObject, data: Json, context: Json): boolean {
  if (Array.isArray(rule.And)) return rule.And.every((r) => evaluateRule(r as JsonObject, data, context));
  if (Array.isArray(rule.Or)) return rule.Or.some((r) => evaluateRule(r as JsonObject, data, context));
  if (isObject(rule.Not)) return !evaluateRule(rule.Not, data, context);
  const variable = String(rule.Variable);
  const op = Object.keys(rule).find((k) => CHOICE_OPERATORS.includes(k));
  if (!op) throw new Error(`choice rule without a known operator: ${JSON.stringify(rule)}`);
  if (op === "IsPresent") return hasPath(variable, data, context) === rule.IsPresent;
  const v = readPath(variable, data, context);
  const isTimestamp = (x: Json) => typeof x === "string" && !Number.isNaN(Date.parse(x)) && /T/.test(x);
  switch (op) {
    case "IsNull":
      return (v === null) === rule.IsNull;
    case "IsNumeric":
      return (typeof v === "number") === rule.IsNumeric;
    case "IsString":
      return (typeof v === "string") === rule.IsString;
    case "IsBoolean":
      return (typeof v === "boolean") === rule.IsBoolean;
    case "IsTimestamp":
      return isTimestamp(v) === rule.IsTimestamp;
  }
  const path = op.endsWith("Path");
  const base = path ? op.slice(0, -4) : op;
  const other = path ? readPath(String(rule[op]), data, context) : (rule[op] as Json);
  if (base.startsWith("String")) {
    if (typeof v !== "string" || typeof other !== "string") return false;
    if (base === "StringMatches") return globMatches(v, other);
    return compare(base.slice(6), v < other ? -1 : v > other ? 1 : 0);
  }
  if (base.startsWith("Numeric")) {
    if (typeof v !== "number" || typeof other !== "number") return false;
    return compare(base.slice(7), Math.sign(v - other));
  }
  if (base === "BooleanEquals") return typeof v === "boolean" && v === other;
  if (base.startsWith("Timestamp")) {
    if (!isTimestamp(v) || !isTimestamp(other)) return false;
    return compare(base.slice(9), Math.sign(Date.parse(v as string) - Date.parse(other as string)));
  }
  throw new Error(`unsupported choice operator ${op}`);
}

function compare(how: string, sign: number): boolean {
  switch (how) {
    case "Equals":
      return sign === 0;
    case "LessThan":
      return sign < 0;
    case "GreaterThan":
      return sign > 0;
    case "LessThanEquals":
      return sign <= 0;
    case "GreaterThanEquals":
      return sign >= 0;
  }
  throw new Error(`unsupported comparison ${how}`);
}

/** StringMatches: `*` matches any run of characters; `\*` and `\\` are literal. */
function globMatches(value: string, pattern: string): boolean {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "\\" && i + 1 < pattern.length)
      re += (pattern[++i] as string).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    else if (c === "*") re += ".*";
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, "s").test(value);
}
