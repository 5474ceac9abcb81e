import type { Entry } from "../domain/escrow";
import type { KindTerms } from "../domain/kinds/kind";
import { NO_KIND_TERMS } from "../domain/kinds/registry";
import type { EscrowKind, EscrowTerms, Windows } from "../domain/types";

/**
 * An escrow's terms and history as the item stores them. Every byte of the
 * item is paid for again on each of its ~6 writes, so: the tenant and the id
 * are in the key, the creation time is the `created` entry's, entry times are
 * epoch milliseconds, and empty optional fields are left out. Windows are
 * kept by name (a new window key relabels nothing), and a kind's own terms
 * under the kind's name (`rental_deposit: { lease }`).
 *
 * Records written before (issue #18) stay readable: windows as a list in
 * their kind's order, `createdAt` in the terms, entry times as ISO text and a
 * kind's terms among the common ones.
 */

/** The terms every kind has, stored as they are. */
const COMMON = ["kind", "buyerId", "sellerId", "amount", "currency", "fee", "paymentMethod"] as const;
type Common = Pick<EscrowTerms, (typeof COMMON)[number]>;
const commonOf = (terms: Common): Common => Object.fromEntries(COMMON.map((k) => [k, terms[k]])) as Common;

export type StoredTerms = Common & {
  windows: Windows | number[];
  description?: string;
  listingRef?: string;
  metadata?: Record<string, string>;
  /** Before #18 only. */
  createdAt?: string;
} & { [kind in EscrowKind]?: unknown } & Partial<KindTerms>;

/** How records written before #18 listed each kind's windows. Frozen: it is how they were written. */
const LEGACY_WINDOW_ORDER: Record<string, readonly string[]> = {
  goods: [
    "deliverySeconds",
    "confirmationSeconds",
    "sellerResponseSeconds",
    "disputeSeconds",
    "reminderSeconds",
  ],
  service: [
    "deliverySeconds",
    "confirmationSeconds",
    "sellerResponseSeconds",
    "disputeSeconds",
    "reminderSeconds",
  ],
  rental_deposit: ["claimSeconds", "claimResponseSeconds", "disputeSeconds", "reminderSeconds"],
  vehicle: [
    "inspectionSeconds",
    "deliverySeconds",
    "confirmationSeconds",
    "sellerResponseSeconds",
    "disputeSeconds",
    "reminderSeconds",
  ],
};

const KIND_TERM_FIELDS = Object.keys(NO_KIND_TERMS) as (keyof KindTerms)[];

export function storedTerms(terms: EscrowTerms): StoredTerms {
  const own = Object.fromEntries(
    KIND_TERM_FIELDS.filter((k) => terms[k] !== NO_KIND_TERMS[k]).map((k) => [k, terms[k]]),
  );
  return {
    ...commonOf(terms),
    windows: terms.windows,
    ...(terms.description !== null ? { description: terms.description } : {}),
    ...(terms.listingRef !== null ? { listingRef: terms.listingRef } : {}),
    ...(Object.keys(terms.metadata).length > 0 ? { metadata: terms.metadata } : {}),
    ...(Object.keys(own).length > 0 ? { [terms.kind]: own } : {}),
  };
}

/** The kind's own terms: under the kind's name, or (before #18) among the common ones. */
function kindTermsOf(terms: StoredTerms): KindTerms {
  const nested = terms[terms.kind];
  const isNested =
    nested !== null &&
    typeof nested === "object" &&
    Object.keys(nested).every((k) => (KIND_TERM_FIELDS as string[]).includes(k));
  const own = isNested
    ? (nested as Partial<KindTerms>)
    : Object.fromEntries(KIND_TERM_FIELDS.filter((k) => terms[k] !== undefined).map((k) => [k, terms[k]]));
  return { ...NO_KIND_TERMS, ...own };
}

/** The windows by name; a legacy record's list read in its kind's frozen order. */
function windowsOf(terms: StoredTerms): Windows {
  const { windows } = terms;
  if (!Array.isArray(windows)) return windows;
  return Object.fromEntries((LEGACY_WINDOW_ORDER[terms.kind] ?? []).map((k, i) => [k, windows[i]]));
}

export function readTerms(
  stored: StoredTerms,
  ref: { tenantId: string; escrowId: string },
  history: readonly Entry[],
): EscrowTerms {
  return {
    tenantId: ref.tenantId,
    id: ref.escrowId,
    ...commonOf(stored),
    description: stored.description ?? null,
    listingRef: stored.listingRef ?? null,
    metadata: stored.metadata ?? {},
    windows: windowsOf(stored),
    ...kindTermsOf(stored),
    createdAt: stored.createdAt ?? history[0]?.at ?? "",
  };
}

/** An entry as stored: its time as epoch milliseconds (8 bytes, not 24), an empty `data` left out. */
export type StoredEntry = Omit<Entry, "at" | "data"> & { at: number | string; data?: Entry["data"] };

export const storedEntry = (entry: Entry): StoredEntry => {
  const { data, at, ...rest } = entry;
  return { ...rest, at: Date.parse(at), ...(Object.keys(data).length > 0 ? { data } : {}) };
};

/** Reads both shapes: `at` as epoch milliseconds, or as ISO text (records written before #18). */
export const readEntry = (stored: StoredEntry): Entry =>
  ({
    ...stored,
    at: typeof stored.at === "number" ? new Date(stored.at).toISOString() : stored.at,
    data: stored.data ?? {},
  }) as Entry;
