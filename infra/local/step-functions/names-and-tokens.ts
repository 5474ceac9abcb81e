import { randomBytes } from "node:crypto";
import { isObject } from "./json";

// Execution names: 1-80 characters, none of whitespace, brackets, wildcards, some punctuation, control characters.
const INVALID_NAME_CHARS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
const isControl = (c: number) => c <= 0x1f || (c >= 0x7f && c <= 0x9f);

/** Whether Step Functions accepts `name` as an execution name (any such name can be started). */
export const isValidExecutionName = (name: string) =>
  name.length >= 1 &&
  name.length <= 80 &&
  !INVALID_NAME_CHARS.test(name) &&
  ![...name].some((ch) => isControl(ch.codePointAt(0) as number));

/** An unguessable task token that still says which execution and state it belongs to. */
export const encodeToken = (execution: string, state: string) =>
  Buffer.from(
    JSON.stringify({ v: 1, e: execution, s: state, n: randomBytes(32).toString("base64url") }),
  ).toString("base64url");

export function decodeToken(token: string): { e: string; s: string } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as unknown;
    if (isObject(parsed) && typeof parsed.e === "string" && typeof parsed.s === "string")
      return { e: parsed.e, s: parsed.s };
  } catch {
    // not one of ours
  }
  return undefined;
}
