import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { describe, expect, it } from "vitest";
import { escrowKey } from "../../functions/adapters/table-schema";
import { type Entry, fold, initialState, toView } from "../../functions/domain/escrow";
import type { EscrowTerms } from "../../functions/domain/types";
import { useStore } from "./fixture";

/**
 * Records stay readable as they were written. Until issue #18 the item kept
 * its windows as a list in the order of its kind's window keys, its
 * `createdAt` in the terms and each entry's time as ISO text; now windows are
 * kept by name, the creation time is the `created` entry's, and entry times
 * are epoch milliseconds, and a kind's own terms are kept under the kind. An
 * escrow written either way reads as the same view.
 */
const table = useStore();

const CREATED = "2026-03-01T08:00:00.000Z";
const FUNDED = "2026-03-01T08:00:02.500Z";

const base = {
  tenantId: "demo",
  buyerId: "u-b",
  sellerId: "u-s",
  amount: 880_000,
  currency: "CNY",
  fee: 8_800,
  paymentMethod: "pm_sandbox_ok",
  description: null,
  listingRef: "listing-7",
  metadata: {},
  lease: null,
  deposit: null,
  depositForfeitable: false,
  vehicle: null,
  createdAt: CREATED,
} satisfies Omit<EscrowTerms, "id" | "kind" | "windows">;

/** Each kind as its item was written before #18, with the view it must read as. */
const LEGACY = [
  {
    terms: {
      ...base,
      id: "esc_LEGACYGOODS",
      kind: "goods",
      windows: {
        deliverySeconds: 604_800,
        confirmationSeconds: 864_000,
        sellerResponseSeconds: 432_000,
        disputeSeconds: 2_592_000,
        reminderSeconds: 3_600,
      },
    },
    stored: { kind: "goods", windows: [604_800, 864_000, 432_000, 2_592_000, 3_600] },
    funded: "funded",
    deadline: "2026-03-08T08:00:02.500Z",
  },
  {
    terms: {
      ...base,
      id: "esc_LEGACYRENTAL",
      kind: "rental_deposit",
      windows: {
        claimSeconds: 1_209_600,
        claimResponseSeconds: 604_800,
        disputeSeconds: 2_592_000,
        reminderSeconds: 86_400,
      },
      lease: { startsAt: "2026-04-01T00:00:00.000Z", endsAt: "2027-03-31T00:00:00.000Z" },
    },
    stored: {
      kind: "rental_deposit",
      windows: [1_209_600, 604_800, 2_592_000, 86_400],
      lease: { startsAt: "2026-04-01T00:00:00.000Z", endsAt: "2027-03-31T00:00:00.000Z" },
    },
    funded: "funded",
    deadline: "2027-03-31T00:00:00.000Z",
  },
  {
    terms: {
      ...base,
      id: "esc_LEGACYCAR",
      kind: "vehicle",
      windows: {
        inspectionSeconds: 259_200,
        deliverySeconds: 604_800,
        confirmationSeconds: 172_800,
        sellerResponseSeconds: 432_000,
        disputeSeconds: 2_592_000,
        reminderSeconds: 86_400,
      },
      deposit: 20_000,
      depositForfeitable: true,
      vehicle: { vin: "LSVAU2180N2183294", description: "2019 Passat 1.4T" },
    },
    stored: {
      kind: "vehicle",
      windows: [259_200, 604_800, 172_800, 432_000, 2_592_000, 86_400],
      deposit: 20_000,
      depositForfeitable: true,
      vehicle: { vin: "LSVAU2180N2183294", description: "2019 Passat 1.4T" },
    },
    funded: "reserved",
    // The inspection window (3 days), not the first of the list read as another window.
    deadline: "2026-03-04T08:00:02.500Z",
  },
] as const;

describe("an item written before windows were stored by name", () => {
  for (const legacy of LEGACY) {
    it(`reads as the same ${legacy.terms.kind} escrow`, async () => {
      const terms = legacy.terms as EscrowTerms;
      const history = [
        { type: "created", actor: "marketplace", data: {}, v: 1, at: CREATED },
        { type: legacy.funded, actor: "system", data: { paymentRef: "auth_1" }, v: 2, at: FUNDED },
      ] as Entry[];
      await table.db.client.send(
        new PutItemCommand({
          TableName: table.db.tableName,
          Item: marshall(
            {
              ...escrowKey("demo", terms.id),
              terms: {
                ...legacy.stored,
                buyerId: base.buyerId,
                sellerId: base.sellerId,
                amount: base.amount,
                currency: base.currency,
                fee: base.fee,
                paymentMethod: base.paymentMethod,
                listingRef: base.listingRef,
                createdAt: CREATED,
              },
              history: [{ type: "created", actor: "marketplace", v: 1, at: CREATED }, history[1]],
              status: "FUNDED",
              version: 2,
            },
            { removeUndefinedValues: true },
          ),
        }),
      );

      const read = await table.store.escrows.get("demo", terms.id);
      if (!read) throw new Error("the legacy item was not found");
      const view = toView(fold(read.terms, read.history));
      expect(view).toEqual(toView(fold(terms, history)));
      expect(view.windows).toEqual(terms.windows);
      expect(view.deadline).toBe(legacy.deadline);
      expect(view.createdAt).toBe(CREATED);
      expect(read.history.map((e) => e.at)).toEqual([CREATED, FUNDED]);

      // Written again in today's shape (by name), the escrow reads the same.
      const again = { ...terms, id: `${terms.id}2` };
      expect(await table.store.escrows.create({ terms: again, history }, initialState(again))).toBe(true);
      const now = await table.store.escrows.get("demo", again.id);
      if (!now) throw new Error("the new item was not found");
      expect({ ...toView(fold(now.terms, now.history)), id: terms.id }).toEqual(view);
      const raw = await table.db.client.send(
        new GetItemCommand({ TableName: table.db.tableName, Key: marshall(escrowKey("demo", again.id)) }),
      );
      const stored = unmarshall(raw.Item ?? {}).terms;
      expect(stored.windows).toEqual(terms.windows);
      expect(stored.createdAt).toBeUndefined();
      // A kind's own terms are kept under the kind.
      for (const field of ["lease", "deposit", "depositForfeitable"] as const)
        expect(stored[field]).toBeUndefined();
      if (terms.kind === "rental_deposit") expect(stored.rental_deposit).toEqual({ lease: terms.lease });
      if (terms.kind === "vehicle")
        expect(stored.vehicle).toEqual({ deposit: 20_000, depositForfeitable: true, vehicle: terms.vehicle });
    });
  }
});
