import { isDeepStrictEqual } from "node:util";
import { SfnServiceError } from "./errors";
import type { JsonValue } from "./types";

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Replaces `search` in every string of a JSON value (the task-token placeholder by the real token). */
export function replaceInJson(value: JsonValue, search: string, replacement: string): JsonValue {
  if (typeof value === "string")
    return value.includes(search) ? value.split(search).join(replacement) : value;
  if (Array.isArray(value)) return value.map((v) => replaceInJson(v, search, replacement));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, replaceInJson(v, search, replacement)]),
    );
  return value;
}

/** A JSON copy of a handler's result (undefined becomes null), as Lambda serializes it. */
export function toJson(value: unknown): JsonValue {
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as JsonValue);
}

export const MAX_PAYLOAD_BYTES = 256 * 1024;

/** Parses an API payload (input, output), failing with the API's error `code` as AWS does. */
export function parseJsonText(text: string, code: string, what: string): JsonValue {
  if (Buffer.byteLength(text, "utf8") > MAX_PAYLOAD_BYTES)
    throw new SfnServiceError(code, `${what} exceeds the maximum size of ${MAX_PAYLOAD_BYTES} bytes`);
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw new SfnServiceError(code, `Invalid ${what}: not valid JSON`);
  }
}

export function sameJson(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return isDeepStrictEqual(JSON.parse(a), JSON.parse(b));
  } catch {
    return false;
  }
}
