import * as z from "zod/mini";
import { STATUSES } from "../domain/types";
import { doc, partyId, schema } from "./schema-kit";

/** The list routes' query strings (GET /v1/escrows, GET /v1/ops/escrows). */

/** Page size when `limit` is not given. */
export const DEFAULT_PAGE_SIZE = 20;

/* @__NO_SIDE_EFFECTS__ */ const listShape = () => ({
  status: z.optional(z.enum(STATUSES)),
  limit: z.optional(
    doc(z.coerce.number().check(z.multipleOf(1, "must be an integer"), z.minimum(1), z.maximum(100)), {
      description: "1-100, default 20.",
    }),
  ),
  cursor: z.optional(
    doc(z.string().check(z.minLength(1), z.maxLength(2048)), {
      description: "`nextCursor` of the previous page.",
    }),
  ),
});

export const ListQuery = schema(() =>
  doc(
    z.strictObject({
      buyerId: z.optional(partyId("Only this buyer's escrows.")),
      sellerId: z.optional(partyId("Only this seller's escrows.")),
      ...listShape(),
    }),
    { id: "ListEscrowsQuery" },
  ),
);
export type ListQueryInput = z.infer<typeof ListQuery>;

export const OpsListQuery = schema(() =>
  doc(
    z.strictObject({
      ...listShape(),
      assignee: z.optional(
        doc(z.enum(["me", "none"]), {
          description: "`me`: only the caller's cases; `none`: only cases nobody holds.",
        }),
      ),
      needsOpsAttention: z.optional(
        doc(
          z.pipe(
            z.enum(["true", "false"]),
            z.transform((v) => v === "true"),
          ),
          {
            description:
              "`true`: only escrows that need ops (a step no retry can decide); `false`: only those that do not.",
          },
        ),
      ),
    }),
    { id: "OpsListEscrowsQuery" },
  ),
);
