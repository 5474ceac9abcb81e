import { createHash } from "node:crypto";

/**
 * The canonical form of a validated request body: object keys sorted, and
 * members that are null or absent dropped (the schemas make every nullable
 * field optional, so `"note": null` and no `note` are the same request). A
 * retry that reorders keys or spells "not given" the other way replays
 * instead of being 422 `idempotency_key_reused`.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const members = Object.entries(value)
      .filter(([, v]) => v !== null && v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${members.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** 128 bits of the method, the path and the canonical body: what an Idempotency-Key is bound to. */
export const requestHash = (method: string, path: string, body: unknown): string =>
  createHash("sha256")
    .update(`${method.toUpperCase()} ${path}\n${canonicalJson(body)}`)
    .digest("hex")
    .slice(0, 32);
