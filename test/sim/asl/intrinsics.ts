import { type Json, StatesError } from "./json";
import { readPath } from "./json-path";

/**
 * Intrinsic functions in payload templates (`States.Format(…)` and a few
 * more), parsed once and evaluated against the state's data. A function this
 * interpreter does not implement is refused when the definition is loaded.
 */

type Arg = { kind: "literal"; value: Json } | { kind: "path"; path: string } | { kind: "call"; call: Call };
export interface Call {
  name: string;
  args: Arg[];
}

const SUPPORTED = new Set([
  "States.Format",
  "States.JsonToString",
  "States.StringToJson",
  "States.Array",
  "States.MathAdd",
  "States.ArrayLength",
]);

export const isIntrinsic = (text: string): boolean => /^States\.[A-Za-z]+\(/.test(text);

export function parseIntrinsic(text: string): Call {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`intrinsic ${text}: ${why} at ${i}`);
  };
  const ws = () => {
    while (text[i] === " ") i++;
  };
  const call = (): Call => {
    const m = /^States\.[A-Za-z]+/.exec(text.slice(i));
    if (!m) return fail("expected a function");
    const name = m[0];
    if (!SUPPORTED.has(name)) fail(`${name} is not supported by the simulator`);
    i += name.length;
    if (text[i] !== "(") fail("expected (");
    i++;
    const args: Arg[] = [];
    ws();
    while (text[i] !== ")") {
      args.push(arg());
      ws();
      if (text[i] === ",") {
        i++;
        ws();
      } else if (text[i] !== ")") fail("expected , or )");
    }
    i++;
    return { name, args };
  };
  const arg = (): Arg => {
    const c = text[i];
    if (c === "'") {
      let s = "";
      i++;
      while (text[i] !== "'") {
        if (i >= text.length) fail("unterminated string");
        if (text[i] === "\\") i++;
        s += text[i++];
      }
      i++;
      return { kind: "literal", value: s };
    }
    if (c === "$") {
      const start = i;
      let depth = 0;
      while (i < text.length && (depth > 0 || (text[i] !== "," && text[i] !== ")"))) {
        if (text[i] === "[") depth++;
        if (text[i] === "]") depth--;
        i++;
      }
      return { kind: "path", path: text.slice(start, i).trim() };
    }
    if (text.startsWith("States.", i)) return { kind: "call", call: call() };
    const m = /^(-?\d+(\.\d+)?|true|false|null)/.exec(text.slice(i));
    if (!m) return fail("expected an argument");
    i += m[0].length;
    return { kind: "literal", value: JSON.parse(m[0]) as Json };
  };
  const parsed = call();
  if (i !== text.length) fail("trailing text");
  return parsed;
}

const parsedCache = new Map<string, Call>();

export function evaluateIntrinsic(text: string, data: Json, context: Json): Json {
  let parsed = parsedCache.get(text);
  if (!parsed) {
    parsed = parseIntrinsic(text);
    parsedCache.set(text, parsed);
  }
  return evaluate(parsed, data, context);
}

function evaluate(call: Call, data: Json, context: Json): Json {
  const args = call.args.map((a) =>
    a.kind === "literal"
      ? a.value
      : a.kind === "path"
        ? readPath(a.path, data, context)
        : evaluate(a.call, data, context),
  );
  switch (call.name) {
    case "States.Format": {
      const [template, ...values] = args;
      if (typeof template !== "string") throw new StatesError("States.Runtime", "Format needs a string");
      let n = 0;
      const out = template.replace(/\{\}/g, () => {
        const v = values[n++];
        if (v === undefined) throw new StatesError("States.Runtime", "Format: too few arguments");
        if (typeof v === "object" && v !== null)
          throw new StatesError("States.Runtime", "Format takes strings, numbers, booleans and null");
        return typeof v === "string" ? v : JSON.stringify(v);
      });
      if (n !== values.length) throw new StatesError("States.Runtime", "Format: too many arguments");
      return out;
    }
    case "States.JsonToString":
      return JSON.stringify(args[0]);
    case "States.StringToJson":
      return JSON.parse(String(args[0])) as Json;
    case "States.Array":
      return args;
    case "States.MathAdd":
      return Number(args[0]) + Number(args[1]);
    case "States.ArrayLength":
      return Array.isArray(args[0]) ? args[0].length : 0;
  }
  throw new StatesError("States.Runtime", `${call.name} is not supported`);
}
