import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { type EscrowMarks, NO_MARKS } from "../domain/reconciliation";
import type { DueMarks, DuePage } from "../ports/due-marks";
import { updateIf } from "./dynamo-items";
import { DUE_SHARDS, dueShard, dueShardOf, escrowKey, escrowRefOfKey, TABLE } from "./table-schema";

const { byDue } = TABLE.indexes;

/** The marks' attribute names on the escrow item (the due index's two, and the rest). */
export const MARK_ATTRIBUTES = [
  byDue.partitionKey,
  byDue.sortKey,
  "mv",
  "execution",
  "parked",
  "reminded",
  "requested",
  "owed",
  "evidenceOwed",
  "provisional",
  "stall",
] as const;

/** The marks as the escrow item holds them (absent attributes: none). */
export function marksOf(item: Record<string, unknown>): EscrowMarks {
  return {
    due: (item[byDue.sortKey] as string | undefined) ?? null,
    mv: (item.mv as number | undefined) ?? 0,
    execution: (item.execution as string | undefined) ?? null,
    parked: item.parked === true,
    reminded: (item.reminded as string | undefined) ?? null,
    requested: item.requested === true,
    owed: item.owed === true,
    evidenceOwed: item.evidenceOwed === true,
    provisional: item.provisional === true,
    stall: (item.stall as EscrowMarks["stall"] | undefined) ?? null,
  };
}

/** A condition on the marks as read: `mv` unchanged (absent until the first write of the marks). */
export function marksUnchanged(mv: number): { expression: string; values: Record<string, unknown> } {
  return mv === 0
    ? { expression: "attribute_not_exists(mv)", values: {} }
    : { expression: "mv = :mv", values: { ":mv": mv } };
}

/** SET and REMOVE clauses that write `due` (with its shard) and the other marks given. */
export function markClauses(
  escrowId: string,
  change: Partial<Omit<EscrowMarks, "mv">>,
): { set: string[]; remove: string[]; values: Record<string, unknown>; names: Record<string, string> } {
  const set: string[] = [];
  const remove: string[] = [];
  const values: Record<string, unknown> = {};
  const names: Record<string, string> = {};
  for (const [key, value] of Object.entries(change)) {
    if (value === undefined) continue;
    if (key === "due") {
      names["#due"] = byDue.sortKey;
      names["#shard"] = byDue.partitionKey;
      if (value === null) remove.push("#due", "#shard");
      else {
        set.push("#due = :due", "#shard = :shard");
        values[":due"] = value;
        values[":shard"] = dueShardOf(escrowId);
      }
      continue;
    }
    names[`#m_${key}`] = key;
    if (value === null || value === false) remove.push(`#m_${key}`);
    else {
      set.push(`#m_${key} = :m_${key}`);
      values[`:m_${key}`] = value;
    }
  }
  return { set, remove, values, names };
}

const expression = (set: string[], remove: string[]) =>
  `${set.length ? `SET ${set.join(", ")}` : ""}${remove.length ? ` REMOVE ${remove.join(", ")}` : ""}`.trim();

/**
 * The reconciler's marks (ARCHITECTURE.md v1.2 decision 1): each escrow item
 * carries exactly one due mark in a sparse, sharded index (`ByDue`); the
 * reconciler pages through it, never the table. A mark that has been handled
 * moves (to the escrow's next due time) or goes: the index itself is the
 * checkpoint, so nothing can be skipped by moving a bookmark.
 */
export class DynamoDueMarks implements DueMarks {
  readonly dueShards = DUE_SHARDS;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async set(
    tenantId: string,
    escrowId: string,
    read: { version: number; mv: number },
    change: Partial<Omit<EscrowMarks, "mv">>,
  ): Promise<boolean> {
    const c = markClauses(escrowId, change);
    const cond = marksUnchanged(read.mv);
    return updateIf(this.client, {
      TableName: this.tableName,
      Key: marshall(escrowKey(tenantId, escrowId)),
      UpdateExpression: expression(["mv = if_not_exists(mv, :zero) + :one", ...c.set], c.remove),
      ConditionExpression: `#version = :version AND ${cond.expression}`,
      ExpressionAttributeNames: { ...c.names, "#version": "version" },
      ExpressionAttributeValues: marshall(
        { ...c.values, ...cond.values, ":zero": 0, ":one": 1, ":version": read.version },
        { removeUndefinedValues: true },
      ),
    });
  }

  async requestVisit(
    tenantId: string,
    escrowId: string,
    at: string,
    flags: Partial<Pick<EscrowMarks, "requested" | "owed" | "evidenceOwed">> & { confirm?: true },
  ): Promise<void> {
    const { confirm, ...rest } = flags;
    const c = markClauses(escrowId, { ...rest, due: at });
    const setFlags = c.set.filter((s) => !s.startsWith("#due") && !s.startsWith("#shard"));
    const base = ["mv = if_not_exists(mv, :zero) + :one", ...setFlags];
    const remove = confirm ? ["provisional"] : [];
    const send = (withDue: boolean) =>
      updateIf(this.client, {
        TableName: this.tableName,
        Key: marshall(escrowKey(tenantId, escrowId)),
        UpdateExpression: expression(withDue ? [...base, "#due = :due", "#shard = :shard"] : base, remove),
        // An earlier mark stands: the reconciler looks at the soonest.
        ConditionExpression: withDue
          ? "attribute_exists(PK) AND (attribute_not_exists(#due) OR #due > :due)"
          : "attribute_exists(PK)",
        ExpressionAttributeNames: nonEmpty(withDue ? c.names : omitDue(c.names)),
        ExpressionAttributeValues: marshall(
          withDue
            ? { ...c.values, ":zero": 0, ":one": 1 }
            : { ...omitDueValues(c.values), ":zero": 0, ":one": 1 },
        ),
      });
    // The escrow's mark is already earlier (or the escrow does not exist: then the second fails too, quietly).
    if (!(await send(true))) await send(false);
  }

  async listDue(shard: number, now: string, limit: number, start?: string | null): Promise<DuePage> {
    const out = await this.queryDue(shard, "<=", now, limit, start);
    const items = (out.Items ?? []).flatMap((item) => {
      const { PK, SK, [byDue.sortKey]: due } = unmarshall(item) as Record<string, string>;
      // Only escrow items carry marks now; an older wait or evidence item's mark is read as its escrow's.
      return PK && SK && due ? [{ ...escrowRefOfKey(PK), due }] : [];
    });
    return { items, next: out.LastEvaluatedKey ? JSON.stringify(out.LastEvaluatedKey) : null };
  }

  /** Up to `limit` of shard `shard`'s due marks whose time is `op` `at`, soonest first, from `start` on. */
  private queryDue(shard: number, op: "<=" | ">", at: string, limit: number, start?: string | null) {
    return this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: byDue.name,
        KeyConditionExpression: `#pk = :pk AND #due ${op} :at`,
        ExpressionAttributeNames: { "#pk": byDue.partitionKey, "#due": byDue.sortKey },
        ExpressionAttributeValues: marshall({ ":pk": dueShard(shard), ":at": at }),
        Limit: limit,
        ...(start ? { ExclusiveStartKey: JSON.parse(start) as Record<string, AttributeValue> } : {}),
      }),
    );
  }

  async nextDue(after: string): Promise<string | null> {
    let soonest: string | null = null;
    await Promise.all(
      Array.from({ length: DUE_SHARDS }, async (_, shard) => {
        const out = await this.queryDue(shard, ">", after, 1);
        const due = out.Items?.[0]?.[byDue.sortKey]?.S;
        if (due && (soonest === null || due < soonest)) soonest = due;
      }),
    );
    return soonest;
  }

  async dropUnconfirmed(tenantId: string, escrowId: string): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: marshall(escrowKey(tenantId, escrowId)),
          ConditionExpression: "provisional = :true AND #version = :one",
          ExpressionAttributeNames: { "#version": "version" },
          ExpressionAttributeValues: marshall({ ":true": true, ":one": 1 }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

const nonEmpty = (names: Record<string, string>) => (Object.keys(names).length > 0 ? names : undefined);
const omitDue = (names: Record<string, string>) =>
  Object.fromEntries(Object.entries(names).filter(([k]) => k !== "#due" && k !== "#shard"));
const omitDueValues = (values: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(values).filter(([k]) => k !== ":due" && k !== ":shard"));

export { NO_MARKS };
