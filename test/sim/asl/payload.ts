import { evaluateIntrinsic, isIntrinsic } from "./intrinsics";
import { isObject, type Json } from "./json";
import { readPath } from "./json-path";

/**
 * A payload template (Parameters, ResultSelector): a field named `x.$` takes
 * the value of its path or intrinsic function as `x`; every other value is
 * copied, objects and arrays template-processed in turn.
 */
export function applyTemplate(template: Json, data: Json, context: Json): Json {
  if (Array.isArray(template)) return template.map((t) => applyTemplate(t, data, context));
  if (!isObject(template)) return template;
  const out: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith(".$") && typeof value === "string") {
      out[key.slice(0, -2)] = isIntrinsic(value)
        ? evaluateIntrinsic(value, data, context)
        : readPath(value, data, context);
    } else out[key] = applyTemplate(value, data, context);
  }
  return out;
}
