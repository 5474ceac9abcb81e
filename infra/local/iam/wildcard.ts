/**
 * IAM's two kinds of wildcard matching. `*` is any run of characters, `?`
 * exactly one; everything else is literal.
 *
 * - Actions are matched case-insensitively (`DynamoDB:getitem` is
 *   `dynamodb:GetItem`).
 * - Resources are matched case-sensitively, and as ARNs: each of the first
 *   five colon-separated parts (arn, partition, service, region, account) is
 *   matched on its own, so a `*` in the region never runs into the account;
 *   the sixth part (the resource, which may hold more colons and slashes) is
 *   matched as one string, so `table/T*` reaches `table/T/index/I` while
 *   `table/T` does not. An ARN pattern of fewer than six parts matches
 *   nothing; a pattern that is not an ARN (only `*` in practice) is matched
 *   against the whole string.
 */

const cache = new Map<string, RegExp>();

function globToRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  const key = `${caseInsensitive ? "i" : "s"}${pattern}`;
  let re = cache.get(key);
  if (!re) {
    const source = pattern
      .split("")
      .map((c) => (c === "*" ? "[\\s\\S]*" : c === "?" ? "[\\s\\S]" : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
      .join("");
    re = new RegExp(`^${source}$`, caseInsensitive ? "i" : "");
    cache.set(key, re);
  }
  return re;
}

/** Plain wildcard matching of a whole string (condition operators `StringLike`). */
export function matchesGlob(pattern: string, value: string, caseInsensitive = false): boolean {
  if (!pattern.includes("*") && !pattern.includes("?"))
    return caseInsensitive ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  return globToRegExp(pattern, caseInsensitive).test(value);
}

/** Whether an `Action` / `NotAction` entry names this action (`service:Operation`). */
export function matchesAction(pattern: string, action: string): boolean {
  return matchesGlob(pattern, action, true);
}

/** The six parts of an ARN: the resource part keeps any further colons. */
function arnParts(arn: string): string[] | undefined {
  const parts = arn.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(":")];
}

/** Whether a `Resource` / `NotResource` entry (or an `ArnLike` value) covers this ARN. */
export function matchesResource(pattern: string, resource: string): boolean {
  if (pattern === "*") return true;
  const p = arnParts(pattern);
  // An ARN pattern short of its six parts matches no ARN (a wildcard never stands for a colon there).
  if (!p) return pattern.startsWith("arn:") ? false : matchesGlob(pattern, resource);
  const r = arnParts(resource);
  if (!r) return false;
  return p.every((part, i) => matchesGlob(part, r[i] as string));
}
