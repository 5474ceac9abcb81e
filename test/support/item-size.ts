import type { AttributeValue } from "@aws-sdk/client-dynamodb";

/**
 * DynamoDB's item size, as it bills writes (1 WRU per started KB) and reads:
 * attribute names and values in UTF-8 bytes; numbers about 1 byte per two
 * significant digits plus 1; 3 bytes per list or map plus 1 per element;
 * 1 byte for null and booleans.
 */
export function attributeSize(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  if (v.N !== undefined) {
    const digits = v.N.replace(/^-/, "").replace(/\./, "").replace(/^0+/, "").replace(/0+$/, "");
    return Math.ceil(Math.max(1, digits.length) / 2) + 1;
  }
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.B !== undefined) return v.B.length;
  if (v.L !== undefined) return 3 + v.L.reduce((s, x) => s + 1 + attributeSize(x), 0);
  if (v.M !== undefined)
    return 3 + Object.entries(v.M).reduce((s, [k, x]) => s + 1 + Buffer.byteLength(k) + attributeSize(x), 0);
  if (v.SS !== undefined) return v.SS.reduce((s, x) => s + Buffer.byteLength(x), 0);
  return 0;
}

export const itemSize = (item: Record<string, AttributeValue>): number =>
  Object.entries(item).reduce((s, [k, v]) => s + Buffer.byteLength(k) + attributeSize(v), 0);
