import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { type Entry, fold } from "../domain/escrow";
import { dueOf, type EscrowMarks, NO_MARKS } from "../domain/reconciliation";
import type { EscrowState } from "../domain/types";
import type { AppendResult, EscrowRecord, EscrowRecords, ListFilter } from "../ports/escrow-records";
import { mayHaveTakenEffect } from "../ports/write-outcome";
import { decodeCursor, encodeCursor } from "./dynamo-cursor";
import { MARK_ATTRIBUTES, markClauses, marksOf, marksUnchanged } from "./dynamo-due-marks";
import { batchGetRaw, MARSHALL_OPTIONS as opts, putNew, updateIf } from "./dynamo-items";
import { watchLostAnswers } from "./lost-answers";
import {
  readEntry,
  readTerms,
  type StoredEntry,
  type StoredTerms,
  storedEntry,
  storedTerms,
} from "./stored-escrow";
import { dueShardOf, escrowKey, escrowRefOfKey, indexKeys, TABLE } from "./table-schema";

const { byBuyer, bySeller, byTenant, opsQueue, byDue } = TABLE.indexes;
type IndexSpec = (typeof TABLE.indexes)[keyof typeof TABLE.indexes];

/** Reads of a page of keys-only results stop after this many index pages, so a sparse filter cannot run away. */
const MAX_INDEX_PAGES = 10;

const inOpsQueue = (s: EscrowState) => s.status === "DISPUTED" || s.attention !== null;
/** The ops queue's order: soonest deadline first, none last. */
const opsOrder = (s: EscrowState) => s.deadline ?? "~";

/**
 * The escrow store on one DynamoDB table. Every transition is a single
 * UpdateItem conditioned on the version that was read; it sets the few
 * attributes conditions and indexes need and appends the history entry (which
 * carries its ledger postings). A lost condition is a `conflict`, a lost
 * answer `unknown` — and so is a refused condition after the SDK retried an
 * attempt that got no answer (that attempt may be what won) — never an SDK
 * error.
 */
export class DynamoEscrowStore implements EscrowRecords {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    /** How far ahead of its time a reminder's mark is set (the reconciler's period in AWS; see reminderDue). */
    private readonly reminderEarlySeconds = 0,
  ) {
    // Marks an error the SDK throws after its own retries when an earlier attempt got no answer.
    watchLostAnswers(client);
  }

  async get(tenantId: string, escrowId: string): Promise<EscrowRecord | null> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: marshall(escrowKey(tenantId, escrowId)),
        ConsistentRead: true,
        ProjectionExpression: `PK, terms, history, ${MARK_ATTRIBUTES.map((_, i) => `#m${i}`).join(", ")}`,
        ExpressionAttributeNames: Object.fromEntries(MARK_ATTRIBUTES.map((a, i) => [`#m${i}`, a])),
      }),
    );
    return out.Item ? toRecord(out.Item) : null;
  }

  async create(record: EscrowRecord, state: EscrowState): Promise<boolean> {
    const { tenantId, id, buyerId, sellerId, createdAt } = record.terms;
    const item = {
      ...escrowKey(tenantId, id),
      terms: storedTerms(record.terms),
      history: record.history.map(storedEntry),
      ...materialized(state),
      [byBuyer.partitionKey]: indexKeys.byBuyer(tenantId, buyerId),
      [bySeller.partitionKey]: indexKeys.bySeller(tenantId, sellerId),
      [byTenant.partitionKey]: indexKeys.byTenant(tenantId),
      [byTenant.sortKey]: createdAt,
      // Not readable, listed or started until an answer confirms it (a 503 must leave nothing behind). Its
      // execution is the first, named after it (an absent `execution` mark: every byte is paid for).
      provisional: true,
      ...dueAttributes(state),
    };
    return putNew(this.client, this.tableName, item);
  }

  async append(
    record: EscrowRecord,
    entry: Entry,
    previous: EscrowState,
    next: EscrowState,
  ): Promise<AppendResult> {
    const { tenantId, id } = record.terms;
    const m = materialized(next);
    const names: Record<string, string> = {
      "#status": "status",
      "#version": "version",
      "#history": "history",
    };
    const values: Record<string, unknown> = {
      ":status": m.status,
      ":version": m.version,
      ":entry": [storedEntry(entry)],
      ":expected": previous.version,
    };
    const set = ["#status = :status", "#version = :version", "#history = list_append(#history, :entry)"];
    const remove: string[] = [];
    // Index attributes are written only when they change (index writes are billed).
    const before = inOpsQueue(previous);
    if (inOpsQueue(next) && (!before || opsOrder(next) !== opsOrder(previous))) {
      set.push(`${opsQueue.partitionKey} = :q`, `${opsQueue.sortKey} = :qs`);
      values[":q"] = indexKeys.opsQueue(tenantId);
      values[":qs"] = opsOrder(next);
    } else if (!inOpsQueue(next) && before) {
      remove.push(opsQueue.partitionKey, opsQueue.sortKey);
    }
    // The escrow's one due mark follows the transition (dueOf); the marks as read must be the marks as they
    // are (a newer mark is never overwritten: the caller reads again). A transition confirms a new escrow
    // and ends a parked wait.
    const marks = record.marks ?? NO_MARKS;
    const after: EscrowMarks = { ...marks, provisional: false, parked: false };
    const due = dueOf(next, after, entry.at, this.reminderEarlySeconds);
    const mc = markClauses(id, {
      ...(due !== marks.due ? { due } : {}),
      ...(marks.provisional ? { provisional: false } : {}),
      ...(marks.parked ? { parked: false } : {}),
    });
    set.push(...mc.set);
    remove.push(...mc.remove);
    Object.assign(names, mc.names);
    Object.assign(values, mc.values);
    const unchanged = marksUnchanged(marks.mv);
    Object.assign(values, unchanged.values);
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(escrowKey(tenantId, id)),
          UpdateExpression: `SET ${set.join(", ")}${remove.length ? ` REMOVE ${remove.join(", ")}` : ""}`,
          ConditionExpression: `#version = :expected AND ${unchanged.expression}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: marshall(values, opts),
        }),
      );
      return "appended";
    } catch (error) {
      // Refused after the SDK's own retries: an earlier attempt, whose answer was lost, may be what won.
      if (error instanceof ConditionalCheckFailedException)
        return (error as { $lostAnswer?: boolean }).$lostAnswer === true ? "unknown" : "conflict";
      if (mayHaveTakenEffect(error)) return "unknown";
      throw error;
    }
  }

  async list(
    tenantId: string,
    filter: ListFilter,
  ): Promise<{ items: EscrowRecord[]; nextCursor: string | null }> {
    const [index, partition] = chooseIndex(tenantId, filter);
    let start = filter.cursor ? decodeCursor(filter.cursor, index, partition) : undefined;
    const items: EscrowRecord[] = [];
    for (let page = 0; page < MAX_INDEX_PAGES; page++) {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index.name,
          KeyConditionExpression: "#pk = :pk",
          ExpressionAttributeNames: { "#pk": index.partitionKey },
          ExpressionAttributeValues: { ":pk": { S: partition } },
          // Lists are newest first; the ops queue soonest deadline first.
          ScanIndexForward: index === opsQueue,
          Limit: filter.limit,
          ExclusiveStartKey: start,
        }),
      );
      const keys = out.Items ?? [];
      const records = await this.batchGet(
        keys.map((k) => ({ PK: k.PK as AttributeValue, SK: k.SK as AttributeValue })),
      );
      const candidates = keys.map((key) => records.get(`${key.PK?.S}|${key.SK?.S}`));
      const found = candidates.filter((r): r is EscrowRecord => r !== undefined && matches(r, filter));
      const verdicts = filter.accept ? await filter.accept(found) : null;
      const accepted = new Set(verdicts ? found.filter((_, i) => verdicts[i]) : found);
      for (const [i, key] of keys.entries()) {
        const record = candidates[i];
        if (record && accepted.has(record)) items.push(record);
        if (items.length === filter.limit) {
          const more = i < keys.length - 1 || out.LastEvaluatedKey !== undefined;
          return { items, nextCursor: more ? encodeCursor(key, index) : null };
        }
      }
      if (!out.LastEvaluatedKey) return { items, nextCursor: null };
      start = out.LastEvaluatedKey;
    }
    return { items, nextCursor: start ? encodeCursor(start, index) : null };
  }

  private async batchGet(keys: Record<string, AttributeValue>[]): Promise<Map<string, EscrowRecord>> {
    // The marks too: a creation no answer confirmed is not listed.
    const items = await batchGetRaw(this.client, this.tableName, keys, {
      ProjectionExpression: "PK, SK, terms, history, provisional",
    });
    return new Map(items.map((item) => [`${item.PK?.S}|${item.SK?.S}`, toRecord(item)]));
  }

  async confirm(tenantId: string, escrowId: string): Promise<void> {
    // Not a mark of the reconciler's (no `mv`): a transition that read it provisional removes it too.
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(escrowKey(tenantId, escrowId)),
        UpdateExpression: "REMOVE provisional",
        ConditionExpression: "attribute_exists(PK)",
      }),
    );
  }

  async unconfirm(tenantId: string, escrowId: string): Promise<void> {
    // False when it moved on (its workflow funded it: a retry of its key was answered 201): it stays.
    await updateIf(this.client, {
      TableName: this.tableName,
      Key: marshall(escrowKey(tenantId, escrowId)),
      UpdateExpression: "SET provisional = :true",
      ConditionExpression: "attribute_exists(PK) AND #version = :one",
      ExpressionAttributeNames: { "#version": "version" },
      ExpressionAttributeValues: marshall({ ":true": true, ":one": 1 }),
    });
  }
}

/**
 * Besides the terms and history, the item keeps only what a condition or a
 * reader of the table needs: the version every write is conditioned on, and
 * the status for people browsing the table. Everything else is the history's fold.
 */
function materialized(s: EscrowState) {
  return { status: s.status, version: s.version };
}

function toRecord(item: Record<string, AttributeValue>): EscrowRecord {
  const plain = unmarshall(item);
  const { PK, terms, history } = plain as { PK: string; terms: StoredTerms; history: StoredEntry[] };
  const entries = history.map(readEntry);
  return { terms: readTerms(terms, escrowRefOfKey(PK), entries), history: entries, marks: marksOf(plain) };
}

/** The reconciler's mark on a new escrow item: its hold is due within the grace (or it is let go). */
function dueAttributes(state: EscrowState) {
  const due = dueOf(state, { ...NO_MARKS, provisional: true }, state.createdAt);
  return due === null ? {} : { [byDue.partitionKey]: dueShardOf(state.id), [byDue.sortKey]: due };
}

function chooseIndex(tenantId: string, f: ListFilter): [IndexSpec, string] {
  if (f.buyerId) return [byBuyer, indexKeys.byBuyer(tenantId, f.buyerId)];
  if (f.sellerId) return [bySeller, indexKeys.bySeller(tenantId, f.sellerId)];
  if (f.opsQueue) return [opsQueue, indexKeys.opsQueue(tenantId)];
  return [byTenant, indexKeys.byTenant(tenantId)];
}

function matches(record: EscrowRecord, f: ListFilter): boolean {
  if (f.buyerId && record.terms.buyerId !== f.buyerId) return false;
  if (f.sellerId && record.terms.sellerId !== f.sellerId) return false;
  if (f.status || f.needsOpsAttention !== undefined) {
    const s = fold(record.terms, record.history);
    if (f.status && s.status !== f.status) return false;
    if (f.needsOpsAttention !== undefined && (s.attention !== null) !== f.needsOpsAttention) return false;
  }
  return true;
}
