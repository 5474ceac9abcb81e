import { afterAll, beforeAll } from "vitest";
import { dynamoStore } from "../../functions/adapters/dynamo-store";
import { requestHash } from "../../functions/api/request-hash";
import { createEscrow } from "../../functions/app/escrow-service";
import { retryPauses } from "../../functions/app/pause";
import type { CreateEscrowInput } from "../../functions/domain/create-input";
import type { EscrowStore } from "../../functions/ports/escrow-store";
import { startDynalite } from "../support/dynalite";

/**
 * What the app and workflow suites share: a table of their own, and escrows
 * created through the service as the API would create them.
 */

export type Dynalite = Awaited<ReturnType<typeof startDynalite>>;

/** A dynalite with the escrow table, and the store over it: started before the file's tests, closed after them. */
export function useStore(): { readonly db: Dynalite; readonly store: EscrowStore } {
  let started: { db: Dynalite; store: EscrowStore } | undefined;
  beforeAll(async () => {
    const db = await startDynalite();
    started = { db, store: dynamoStore(db.client, db.tableName) };
    // These suites run on a clock of their own and count attempts: the pauses between a request's
    // retries of a failing dependency (functions/app/pause.ts, its own test) are not slept.
    retryPauses.scale = 0;
  });
  afterAll(async () => {
    retryPauses.scale = 1;
    await started?.db.close();
  });
  const get = () => {
    if (!started) throw new Error("the store is used before its dynalite has started");
    return started;
  };
  return {
    get db() {
      return get().db;
    },
    get store() {
      return get().store;
    },
  };
}

/** The suites' usual escrow: 100.00 USD with a 3.00 fee, between u-b and u-s. */
export const createInput = (overrides: Partial<CreateEscrowInput> = {}): CreateEscrowInput => ({
  buyerId: "u-b",
  sellerId: "u-s",
  amount: 10_000,
  currency: "USD",
  fee: 300,
  paymentMethod: "pm_sandbox_ok",
  ...overrides,
});

/** A POST's Idempotency-Key with the request's hash, as the API hands them to the service. */
export const keyed = (key: string, body: unknown, path = "/v1/escrows") => ({
  key,
  requestHash: requestHash("POST", path, body),
});

let created = 0;
/** Creates the usual escrow (with `overrides`) through the service, under a key of its own. */
export async function createVia(
  deps: Parameters<typeof createEscrow>[0],
  tenantId: string,
  overrides: Partial<CreateEscrowInput> = {},
): Promise<{ tenantId: string; escrowId: string }> {
  const body = createInput(overrides);
  const { escrow } = await createEscrow(deps, tenantId, body, keyed(`create-${++created}`, body));
  return { tenantId, escrowId: escrow.id };
}

/** The escrows whose due mark has come by `at` (every shard of the due index, every page). */
export async function dueIds(store: EscrowStore, at: string): Promise<string[]> {
  const ids: string[] = [];
  for (let shard = 0; shard < store.marks.dueShards; shard++) {
    let start: string | null = null;
    do {
      const page = await store.marks.listDue(shard, at, 100, start);
      ids.push(...page.items.map((d) => d.escrowId));
      start = page.next;
    } while (start);
  }
  return ids;
}
