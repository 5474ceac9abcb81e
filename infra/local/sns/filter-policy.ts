import { invalidParameter } from "./errors";

/**
 * Subscription filter policies on message attributes, as SNS applies them
 * (scope `MessageAttributes`, the default): every key of the policy must
 * match (AND), and a key matches when its attribute equals one of the listed
 * values or satisfies one of the listed operators (OR). Served here: exact
 * strings and numbers, `prefix`, `suffix`, `anything-but` (values or a
 * `prefix`), `exists` and `equals-ignore-case`. A String.Array attribute
 * matches when any of its elements does.
 */

type Condition =
  | { kind: "equals"; value: string }
  | { kind: "prefix"; value: string }
  | { kind: "suffix"; value: string }
  | { kind: "equals-ignore-case"; value: string }
  | { kind: "anything-but"; values: string[]; prefix?: string }
  | { kind: "exists"; value: boolean };

export type FilterPolicy = Record<string, Condition[]>;

const bad = (reason: string) => invalidParameter(`FilterPolicy: ${reason}`);

function conditionOf(key: string, item: unknown): Condition {
  if (typeof item === "string") return { kind: "equals", value: item };
  if (typeof item === "number" && Number.isFinite(item)) return { kind: "equals", value: String(item) };
  if (item === null || typeof item !== "object" || Array.isArray(item))
    throw bad(`${key}: a value must be a string, a number or an operator object`);
  const entries = Object.entries(item);
  if (entries.length !== 1) throw bad(`${key}: an operator object has exactly one operator`);
  const [operator, operand] = entries[0] as [string, unknown];
  switch (operator) {
    case "prefix":
    case "suffix":
    case "equals-ignore-case":
      if (typeof operand !== "string" || operand === "")
        throw bad(`${key}: ${operator} takes a non-empty string`);
      return { kind: operator, value: operand };
    case "exists":
      if (typeof operand !== "boolean") throw bad(`${key}: exists takes true or false`);
      return { kind: "exists", value: operand };
    case "anything-but": {
      if (typeof operand === "string" || typeof operand === "number")
        return { kind: "anything-but", values: [String(operand)] };
      if (Array.isArray(operand) && operand.every((v) => typeof v === "string" || typeof v === "number"))
        return { kind: "anything-but", values: operand.map(String) };
      if (
        operand &&
        typeof operand === "object" &&
        typeof (operand as { prefix?: unknown }).prefix === "string"
      )
        return { kind: "anything-but", values: [], prefix: (operand as { prefix: string }).prefix };
      throw bad(`${key}: anything-but takes a value, a list of values or { "prefix": … }`);
    }
    default:
      throw bad(`${key}: the operator ${operator} is not served by the local SNS`);
  }
}

/** Parses a FilterPolicy attribute (JSON text), or throws SNS's InvalidParameter. */
export function parseFilterPolicy(text: string): FilterPolicy {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw bad("it is not valid JSON");
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) throw bad("it must be a JSON object");
  const policy: FilterPolicy = {};
  for (const [key, values] of Object.entries(json)) {
    if (!Array.isArray(values) || values.length === 0)
      throw bad(`${key}: the values must be a non-empty JSON array`);
    policy[key] = values.map((v) => conditionOf(key, v));
  }
  if (Object.keys(policy).length > 5) throw bad("a policy has at most 5 keys");
  return policy;
}

function matchesValue(condition: Condition, value: string): boolean {
  switch (condition.kind) {
    case "equals":
      return value === condition.value;
    case "prefix":
      return value.startsWith(condition.value);
    case "suffix":
      return value.endsWith(condition.value);
    case "equals-ignore-case":
      return value.toLowerCase() === condition.value.toLowerCase();
    case "anything-but":
      return !condition.values.includes(value) && !(condition.prefix && value.startsWith(condition.prefix));
    case "exists":
      return true;
  }
}

/** Whether a message with these attributes (name → value, and name → DataType) passes the policy. */
export function matchesFilterPolicy(
  policy: FilterPolicy,
  attributes: Record<string, string>,
  types: Record<string, string> = {},
): boolean {
  return Object.entries(policy).every(([key, conditions]) => {
    const raw = attributes[key];
    return conditions.some((condition) => {
      if (condition.kind === "exists") return (raw !== undefined) === condition.value;
      if (raw === undefined) return false;
      const values = types[key] === "String.Array" ? arrayValues(raw) : [raw];
      return values.some((v) => matchesValue(condition, v));
    });
  });
}

function arrayValues(raw: string): string[] {
  try {
    const parsed = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed.map(String) : [raw];
  } catch {
    return [raw];
  }
}
