/**
 * What only the text of a JSON body shows, once JSON.parse has accepted it:
 *
 * - number tokens written with a fraction or an exponent. JSON.parse rounds
 *   `12999.0000000000001` to the integer 12999 and reads `1.2999e4` as 12999;
 *   API.md rejects floats, and every number of the API is an integer;
 * - members named `__proto__`. JSON.parse keeps them, but zod skips them and
 *   assigning one to an object sets its prototype instead: silently dropped,
 *   so they are refused instead.
 *
 * Both are returned as paths (`amount`, `windows.deliverySeconds`,
 * `metadata.__proto__`, `items.0.amount`).
 */
export interface JsonTextFindings {
  nonIntegers: string[];
  reservedKeys: string[];
}

export const RESERVED_KEY = "__proto__";

export function inspectJsonText(text: string): JsonTextFindings {
  const found: JsonTextFindings = { nonIntegers: [], reservedKeys: [] };
  /** Open containers, innermost last: an object's current key or an array's current index. */
  const stack: Array<{ key: string | number }> = [];
  const path = () => stack.map((s) => String(s.key)).join(".") || "(body)";
  const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
  const STRING = /"(?:[^"\\]|\\.)*"/y;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '"') {
      STRING.lastIndex = i;
      const m = STRING.exec(text);
      if (!m) break;
      i = STRING.lastIndex;
      // A string followed by a colon is an object key: it names the value that follows.
      let j = i;
      while (j < text.length && /\s/.test(text[j] as string)) j++;
      const top = stack.at(-1);
      if (text[j] === ":" && top) {
        top.key = JSON.parse(m[0]) as string;
        if (top.key === RESERVED_KEY) found.reservedKeys.push(path());
        i = j + 1;
      }
    } else if (c === "{") {
      stack.push({ key: "" });
      i++;
    } else if (c === "[") {
      stack.push({ key: 0 });
      i++;
    } else if (c === "}" || c === "]") {
      stack.pop();
      i++;
    } else if (c === ",") {
      const top = stack.at(-1);
      if (top && typeof top.key === "number") top.key++;
      i++;
    } else if (c === "-" || (c >= "0" && c <= "9")) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m) break;
      if (m[1] !== undefined || m[2] !== undefined) found.nonIntegers.push(path());
      i = NUMBER.lastIndex;
    } else i++;
  }
  return found;
}
