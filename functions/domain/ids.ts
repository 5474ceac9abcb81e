import { createHash } from "node:crypto";
import { escrowIdPrefix } from "./cells";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

function base32(bytes: Uint8Array, length: number): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest();

/**
 * The escrow id is derived from the tenant and the creation's Idempotency-Key,
 * so two concurrent creations with one key race for one item and exactly one
 * wins the conditional write (130 bits: no collisions in practice). It names
 * the cell that made it (cells.ts); the home cell's ids keep their first form.
 */
export const escrowIdFor = (tenantId: string, idempotencyKey: string, cellId?: string | null): string =>
  `${escrowIdPrefix(cellId)}${base32(sha256(`escrow\u0000${tenantId}\u0000${idempotencyKey}`), 26)}`;

/** The tenant-scoped hash of an Idempotency-Key, under which its completion record is kept. */
export const keyHash = (tenantId: string, idempotencyKey: string): string =>
  sha256(`idem\u0000${tenantId}\u0000${idempotencyKey}`).toString("hex").slice(0, 32);

/**
 * What a history entry keeps of the request that made it: 12 hex digits (48
 * bits) of the key's hash and of the request's hash (functions/api/request-hash.ts)
 * — compared only among one escrow's few entries, where a collision is out of reach.
 */
export const IDEM_TAG_DIGITS = 12;
export const idemTag = (key: string, request: string): string =>
  `${key.slice(0, IDEM_TAG_DIGITS)}.${request.slice(0, IDEM_TAG_DIGITS)}`;
