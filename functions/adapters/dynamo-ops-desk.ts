import { type AttributeValue, type DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import type { AssignmentChange, DeskSummary, NoteRecord, OpsDeskStore } from "../ports/ops-desk";
import {
  batchGetRaw,
  getItem,
  itemsBeside,
  MARSHALL_OPTIONS as opts,
  putNew,
  updateIf,
} from "./dynamo-items";
import { deskKey, deskSummaryRange, escrowKey, noteKey, notePrefix } from "./table-schema";

/** Conditional-write attempts before an assignment gives up on a hot case. */
const MAX_ATTEMPTS = 8;

/**
 * The ops desk (notes and assignment) in the escrow's own partition: one item
 * per note (NOTE#001…200, each taken with a conditional put, so the limit
 * holds under racing additions) and one DESK item with the assignee and its
 * changes (read, then written on the count read: two ops taking the case at
 * once are both recorded, the last write holds it), and each party's
 * evidence count, so a page of the queue reads its escrows' desks at once.
 */
export class DynamoOpsDesk implements OpsDeskStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async addNote(tenantId: string, escrowId: string, note: NoteRecord): Promise<boolean> {
    const { idem, ...rest } = note;
    return putNew(this.client, this.tableName, {
      ...noteKey(tenantId, escrowId, note.seq),
      ...rest,
      ...(idem !== null ? { idem } : {}),
    });
  }

  async listNotes(tenantId: string, escrowId: string): Promise<NoteRecord[]> {
    // Keys sort by number: oldest first.
    const notes = await itemsBeside(this.client, this.tableName, tenantId, escrowId, notePrefix);
    return notes.map((n) => ({
      id: n.id,
      text: n.text,
      by: n.by,
      at: n.at,
      seq: n.seq,
      idem: n.idem ?? null,
    }));
  }

  async assign(tenantId: string, escrowId: string, change: AssignmentChange, keep: number): Promise<void> {
    const key = deskKey(tenantId, escrowId);
    for (let attempt = 1; ; attempt++) {
      const desk = await getItem(this.client, this.tableName, key);
      const read = desk?.changes as number | undefined;
      const history = [...((desk?.history as AssignmentChange[] | undefined) ?? []), change].slice(-keep);
      const written = await updateIf(this.client, {
        TableName: this.tableName,
        Key: marshall(key),
        // The evidence counts on the item stay as they are.
        UpdateExpression: "SET assignee = :assignee, #history = :history, changes = :changes",
        // Written on the count read: a concurrent change is read again and kept.
        ConditionExpression: read === undefined ? "attribute_not_exists(changes)" : "changes = :read",
        ExpressionAttributeNames: { "#history": "history" },
        ExpressionAttributeValues: marshall(
          {
            ":assignee": change.assignee,
            ":history": history,
            ":changes": (read ?? 0) + 1,
            ...(read === undefined ? {} : { ":read": read }),
          },
          opts,
        ),
      });
      if (written) return;
      if (attempt >= MAX_ATTEMPTS)
        throw new Error(`The ops desk of ${escrowId} kept changing under ${MAX_ATTEMPTS} assignments`);
    }
  }

  async summaries(tenantId: string, escrowIds: readonly string[]): Promise<Map<string, DeskSummary>> {
    const found = new Map<string, DeskSummary>();
    const items = await batchGetRaw(
      this.client,
      this.tableName,
      escrowIds.map((id) => marshall(deskKey(tenantId, id))),
      {
        ProjectionExpression: "PK, assignee, #history, evidenceBuyer, evidenceSeller",
        ExpressionAttributeNames: { "#history": "history" },
      },
    );
    for (const item of items) {
      const desk = unmarshall(item);
      found.set(String(desk.PK).slice(String(desk.PK).lastIndexOf("#E#") + 3), {
        assignee: desk.assignee ?? null,
        history: (desk.history as AssignmentChange[] | undefined) ?? [],
        evidenceCount: { buyer: desk.evidenceBuyer ?? 0, seller: desk.evidenceSeller ?? 0 },
      });
    }
    return found;
  }

  async countEvidence(
    tenantId: string,
    escrowId: string,
    by: "buyer" | "seller",
    seq: number,
  ): Promise<void> {
    // A count already at or past this evidence (a retry, or a later one counted first) stays.
    await updateIf(this.client, {
      TableName: this.tableName,
      Key: marshall(deskKey(tenantId, escrowId)),
      UpdateExpression: "SET #count = :seq",
      ConditionExpression: "attribute_not_exists(#count) OR #count < :seq",
      ExpressionAttributeNames: { "#count": by === "buyer" ? "evidenceBuyer" : "evidenceSeller" },
      ExpressionAttributeValues: marshall({ ":seq": seq }),
    });
  }

  async summary(tenantId: string, escrowId: string): Promise<DeskSummary> {
    const summary: DeskSummary = { assignee: null, history: [], evidenceCount: { buyer: 0, seller: 0 } };
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "PK = :pk AND SK BETWEEN :from AND :to",
          // The evidence's keys name its party; nothing else of it, nor of the escrow, is needed.
          ProjectionExpression: "SK, assignee, #history",
          ExpressionAttributeNames: { "#history": "history" },
          ExpressionAttributeValues: marshall({
            ":pk": escrowKey(tenantId, escrowId).PK,
            ":from": deskSummaryRange[0],
            ":to": deskSummaryRange[1],
          }),
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        const sk = item.SK?.S ?? "";
        if (sk === deskKey(tenantId, escrowId).SK) {
          const desk = unmarshall(item);
          summary.assignee = desk.assignee ?? null;
          summary.history = (desk.history as AssignmentChange[] | undefined) ?? [];
        } else if (sk.startsWith("EVID#buyer#")) summary.evidenceCount.buyer++;
        else if (sk.startsWith("EVID#seller#")) summary.evidenceCount.seller++;
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return summary;
  }
}
