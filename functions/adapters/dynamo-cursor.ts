import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { ValidationError } from "../domain/errors";
import type { TABLE } from "./table-schema";

type IndexSpec = (typeof TABLE.indexes)[keyof typeof TABLE.indexes];

/**
 * A list's cursor: the index and the last key read, opaque to the caller,
 * and accepted back only for the same index and the caller's own partition.
 */
export function encodeCursor(key: Record<string, AttributeValue>, index: IndexSpec): string {
  const plain = unmarshall(key);
  return Buffer.from(JSON.stringify({ i: index.name, k: plain })).toString("base64url");
}

export function decodeCursor(
  cursor: string,
  index: IndexSpec,
  partition: string,
): Record<string, AttributeValue> {
  const invalid = () =>
    new ValidationError("The cursor is not valid for this list.", [
      { path: "cursor", message: "must be the nextCursor of a previous page of the same list" },
    ]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw invalid();
  const { i, k } = parsed as { i?: unknown; k?: unknown };
  if (typeof k !== "object" || k === null || Array.isArray(k)) throw invalid();
  const key = k as Record<string, unknown>;
  // The cursor must belong to this tenant's partition of this index: it cannot be used to read elsewhere.
  if (i !== index.name || key[index.partitionKey] !== partition) throw invalid();
  // Exactly the table's and the index's keys, all strings (DynamoDB rejects a partial start key).
  const required = [...new Set(["PK", "SK", index.partitionKey, index.sortKey])];
  if (
    Object.keys(key).length !== required.length ||
    required.some((name) => typeof key[name] !== "string" || (key[name] as string).length === 0)
  )
    throw invalid();
  return marshall(key);
}
