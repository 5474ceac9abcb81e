import { CHOICE_OPERATORS } from "./choice";
import { isIntrinsic, parseIntrinsic } from "./intrinsics";
import { isObject, type Json, type JsonObject } from "./json";
import { parsePath } from "./json-path";
import { type Catcher, isRetrierList, type Retrier } from "./retry";

/**
 * A workflow definition as the interpreter runs it: the ASL file with its
 * definition substitutions made, checked against what the interpreter
 * implements. Anything outside that subset (a state type, a resource, a path
 * syntax, an intrinsic) is refused here, so the simulator never runs a
 * workflow other than the one written.
 */

export interface AslState extends JsonObject {
  Type: string;
}
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
}

export const TASK_RESOURCES = [
  "arn:aws:states:::lambda:invoke",
  "arn:aws:states:::lambda:invoke.waitForTaskToken",
] as const;

const STATE_TYPES = new Set(["Task", "Choice", "Pass", "Wait", "Succeed", "Fail"]);

/** `${Name}` → its substitution; every name must have one. */
export function substitute(text: string, substitutions: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{(\w+)\}/g, (_, name: string) => {
    const value = substitutions[name];
    if (value === undefined) throw new Error(`the definition names \${${name}}, which nothing substitutes`);
    return value;
  });
}

export function loadDefinition(text: string, substitutions: Readonly<Record<string, string>>): AslDefinition {
  const def = JSON.parse(substitute(text, substitutions)) as unknown;
  if (!isObject(def) || typeof def.StartAt !== "string" || !isObject(def.States))
    throw new Error("a definition needs StartAt and States");
  const states = def.States as Record<string, AslState>;
  if (!states[def.StartAt]) throw new Error(`StartAt ${def.StartAt} is not a state`);
  for (const [name, state] of Object.entries(states)) checkState(name, state, states);
  return def as unknown as AslDefinition;
}

function checkState(name: string, s: AslState, states: Record<string, AslState>): void {
  const fail = (why: string): never => {
    throw new Error(`state ${name}: ${why}`);
  };
  if (!STATE_TYPES.has(s.Type)) fail(`type ${s.Type} is not supported by the simulator`);
  const target = (next: Json | undefined) => {
    if (typeof next !== "string" || !states[next]) fail(`names a state that does not exist: ${String(next)}`);
  };
  if (s.Next !== undefined) target(s.Next);
  if (
    s.Type !== "Choice" &&
    s.Type !== "Succeed" &&
    s.Type !== "Fail" &&
    s.Next === undefined &&
    s.End !== true
  )
    fail("has neither Next nor End");
  for (const key of [
    "InputPath",
    "OutputPath",
    "ResultPath",
    "TimeoutSecondsPath",
    "SecondsPath",
    "TimestampPath",
  ])
    if (typeof s[key] === "string") parsePath(s[key] as string);
  for (const key of ["Parameters", "ResultSelector"]) if (s[key] !== undefined) checkTemplate(s[key] as Json);
  if (s.HeartbeatSeconds !== undefined || s.HeartbeatSecondsPath !== undefined)
    fail("heartbeats are not supported by the simulator");
  if (s.Type === "Task") {
    if (!(TASK_RESOURCES as readonly string[]).includes(String(s.Resource)))
      fail(`resource ${String(s.Resource)} is not supported by the simulator`);
    if (s.Retry !== undefined && !isRetrierList(s.Retry)) fail("Retry is malformed");
    for (const r of (s.Retry ?? []) as unknown as Retrier[])
      if (r.JitterStrategy !== undefined && r.JitterStrategy !== "FULL" && r.JitterStrategy !== "NONE")
        fail(`JitterStrategy ${r.JitterStrategy}`);
  }
  for (const c of (s.Catch ?? []) as unknown as Catcher[]) {
    target(c.Next);
    if (typeof c.ResultPath === "string") parsePath(c.ResultPath);
  }
  if (s.Type === "Choice") {
    if (!Array.isArray(s.Choices) || s.Choices.length === 0) fail("a Choice needs Choices");
    for (const rule of s.Choices as JsonObject[]) {
      target(rule.Next);
      checkRule(rule, fail);
    }
    if (s.Default !== undefined) target(s.Default);
  }
}

function checkRule(rule: JsonObject, fail: (why: string) => never): void {
  for (const key of ["And", "Or"])
    if (Array.isArray(rule[key])) for (const r of rule[key] as JsonObject[]) checkRule(r, fail);
  if (isObject(rule.Not)) {
    checkRule(rule.Not, fail);
    return;
  }
  if (rule.And || rule.Or) return;
  if (typeof rule.Variable !== "string") fail("a choice rule without Variable");
  parsePath(rule.Variable as string);
  if (!Object.keys(rule).some((k) => CHOICE_OPERATORS.includes(k))) fail("a choice rule without an operator");
}

function checkTemplate(t: Json): void {
  if (Array.isArray(t)) {
    for (const item of t) checkTemplate(item);
    return;
  }
  if (!isObject(t)) return;
  for (const [key, value] of Object.entries(t)) {
    if (key.endsWith(".$")) {
      if (typeof value !== "string") throw new Error(`${key} must be a string`);
      if (isIntrinsic(value)) parseIntrinsic(value);
      else parsePath(value);
    } else checkTemplate(value);
  }
}
