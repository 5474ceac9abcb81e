import { isObject, type Json, type JsonObject, StatesError } from "./json";

/**
 * The JSONPath the escrow workflow writes: reference paths (`$`, `$.a.b`,
 * `$['a']`, `$.a[0]`) over the state's data, and `$$.…` over the context
 * object. Anything else is refused when the definition is loaded, so a path
 * this interpreter does not understand can never be read wrongly.
 */

export type Segment = string | number;
export interface ParsedPath {
  context: boolean;
  segments: Segment[];
}

const cache = new Map<string, ParsedPath>();

export function parsePath(path: string): ParsedPath {
  const hit = cache.get(path);
  if (hit) return hit;
  const context = path.startsWith("$$");
  let i = context ? 2 : 1;
  if (!path.startsWith("$")) throw new Error(`not a path: ${path}`);
  const segments: Segment[] = [];
  while (i < path.length) {
    const c = path[i];
    if (c === ".") {
      const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(path.slice(i + 1));
      if (!m) throw new Error(`unsupported path ${path}`);
      segments.push(m[0]);
      i += 1 + m[0].length;
    } else if (c === "[") {
      const m = /^\[(?:(\d+)|'([^']*)'|"([^"]*)")\]/.exec(path.slice(i));
      if (!m) throw new Error(`unsupported path ${path}`);
      segments.push(m[1] !== undefined ? Number(m[1]) : ((m[2] ?? m[3]) as string));
      i += m[0].length;
    } else throw new Error(`unsupported path ${path}`);
  }
  const parsed = { context, segments };
  cache.set(path, parsed);
  return parsed;
}

/** The value at `path`, or a States.Runtime error naming what is missing. */
export function readPath(path: string, data: Json, context: Json): Json {
  const { context: ofContext, segments } = parsePath(path);
  let v: Json | undefined = ofContext ? context : data;
  for (const s of segments) {
    if (typeof s === "number") v = Array.isArray(v) ? v[s] : undefined;
    else v = isObject(v) && Object.hasOwn(v, s) ? v[s] : undefined;
    if (v === undefined)
      throw new StatesError("States.Runtime", `The JSONPath '${path}' could not be found in the input`);
  }
  return v as Json;
}

export function hasPath(path: string, data: Json, context: Json): boolean {
  try {
    readPath(path, data, context);
    return true;
  } catch {
    return false;
  }
}

/**
 * ResultPath: `result` placed in a copy of `input` at `path` (objects made
 * as needed); `$` is the result itself; null keeps the input.
 */
export function writePath(path: string | null | undefined, input: Json, result: Json): Json {
  if (path === undefined || path === "$") return result;
  if (path === null) return input;
  const { context, segments } = parsePath(path);
  if (context) throw new Error(`ResultPath cannot name the context: ${path}`);
  if (!isObject(input))
    throw new StatesError("States.ResultPathMatchFailure", `cannot apply ResultPath ${path} to a non-object`);
  const root: JsonObject = { ...input };
  let node: JsonObject = root;
  for (const [i, s] of segments.entries()) {
    if (typeof s === "number") throw new Error(`ResultPath with an index is not supported: ${path}`);
    if (i === segments.length - 1) node[s] = result;
    else {
      const child = node[s];
      if (child !== undefined && !isObject(child))
        throw new StatesError("States.ResultPathMatchFailure", `${path}: ${s} is not an object`);
      const copy: JsonObject = { ...(child ?? {}) };
      node[s] = copy;
      node = copy;
    }
  }
  return root;
}

/** InputPath / OutputPath: `$` (default) the whole, null an empty object. */
export function selectPath(path: string | null | undefined, data: Json, context: Json): Json {
  if (path === undefined || path === "$") return data;
  if (path === null) return {};
  return readPath(path, data, context);
}
