import { NotFoundError } from "../domain/errors";
import { fold, toView } from "../domain/escrow";
import { waitingFor } from "../domain/ops-desk";
import type { EscrowState, EscrowView, OpsUser } from "../domain/types";
import { executionNames } from "../domain/workflow-step";
import type { EscrowStore, ListFilter } from "../ports/escrow-store";
import type { ExecutionEvent, ExecutionReader } from "../ports/executions";
import type { AssignmentChange, DeskSummary, OpsDeskStore } from "../ports/ops-desk";
import type { ExecutionStatus, WorkflowEngine } from "../ports/workflow";
import { logger } from "../shared/logger";
import { readable } from "./readable";

/**
 * The escrow as ops see it (API.md v1.1 "The ops queue", v1.2 "Ops staff"):
 * the escrow plus an `ops` object — who holds the case and its changes, the
 * notes, who must act next, the evidence counted per party, and the current
 * workflow execution with its last events, read from Step Functions.
 */

/** Events of the current execution's history the view shows (API.md v1.2). */
export const RECENT_EVENTS = 20;

export interface OpsDeskDeps {
  store: EscrowStore;
  desk: OpsDeskStore;
  now: () => Date;
}

export interface OpsViewDeps extends OpsDeskDeps {
  workflow: Pick<WorkflowEngine, "executionArn">;
  executions: ExecutionReader;
  /** An execution's page in the Step Functions console (AWS), or in the local console's execution view. */
  executionConsoleUrl: (executionArn: string) => string;
}

export interface OpsNote {
  id: string;
  text: string;
  by: OpsUser;
  at: string;
}

export type OpsHistoryEntry = Omit<AssignmentChange, "idem">;

/** The `ops` object of a queue item: the view's, without notes and the execution. */
export interface OpsSummary {
  needsOpsAttention: boolean;
  attentionReason: EscrowView["attentionReason"];
  assignee: OpsUser | null;
  history: OpsHistoryEntry[];
  waitingFor: ReturnType<typeof waitingFor>;
  evidenceCount: { buyer: number; seller: number };
}

export interface OpsExecution {
  arn: string;
  /** Null when Step Functions has no such execution (not started yet), or could not be asked. */
  status: ExecutionStatus | null;
  startedAt: string | null;
  consoleUrl: string;
  recent: ExecutionEvent[];
}

export interface OpsView extends EscrowView {
  ops: OpsSummary & {
    executionArn: string;
    consoleUrl: string;
    notes: OpsNote[];
    execution: OpsExecution;
  };
}

export type OpsQueueItem = EscrowView & { ops: OpsSummary };

const EMPTY_DESK: DeskSummary = { assignee: null, history: [], evidenceCount: { buyer: 0, seller: 0 } };

const history = (changes: AssignmentChange[]): OpsHistoryEntry[] =>
  changes.map(({ at, type, by, assignee }) => ({ at, type, by, assignee }));

function summaryOf(state: EscrowState, desk: DeskSummary): OpsSummary {
  return {
    needsOpsAttention: state.attention !== null,
    attentionReason: state.attention?.reason ?? null,
    assignee: desk.assignee,
    history: history(desk.history),
    waitingFor: waitingFor(state),
    evidenceCount: desk.evidenceCount,
  };
}

export async function getOpsEscrow(deps: OpsViewDeps, tenantId: string, escrowId: string): Promise<OpsView> {
  const [record, wait, desk, notes] = await Promise.all([
    deps.store.escrows.get(tenantId, escrowId),
    deps.store.waits.get(tenantId, escrowId),
    deps.desk.summary(tenantId, escrowId),
    deps.desk.listNotes(tenantId, escrowId),
  ]);
  if (!readable(record)) throw new NotFoundError();
  const state = fold(record.terms, record.history);
  const view = toView(state);
  // The execution the record names as carrying the escrow (a parked wait keeps the one that parked it).
  const arn = deps.workflow.executionArn(
    record.marks?.execution ?? (wait ? wait.execution : executionNames.first(escrowId)),
  );
  const consoleUrl = deps.executionConsoleUrl(arn);
  return {
    ...view,
    ops: {
      ...summaryOf(state, desk),
      executionArn: arn,
      consoleUrl,
      notes: notes.map(({ id, text, by, at }) => ({ id, text, by, at })),
      execution: { arn, consoleUrl, ...(await readExecution(deps, arn, escrowId)) },
    },
  };
}

/** Ops still see the escrow when Step Functions cannot answer: the execution's status is then null. */
async function readExecution(deps: OpsViewDeps, arn: string, escrowId: string) {
  try {
    const found = await deps.executions.read(arn, RECENT_EVENTS);
    if (found) return found;
  } catch (error) {
    logger.warn("the execution could not be read for the ops view", { escrowId, error: String(error) });
  }
  return { status: null, startedAt: null, recent: [] };
}

export interface OpsQueueFilter extends Omit<ListFilter, "buyerId" | "sellerId" | "opsQueue" | "accept"> {
  /** `me`: the caller's cases; `none`: cases nobody holds. */
  assignee?: "me" | "none";
}

/**
 * The ops queue: without a status, every DISPUTED escrow and every escrow that
 * needs ops, soonest deadline first (none last); `status` lists every escrow
 * in that status instead, in the same order; `needsOpsAttention` narrows to
 * those; `assignee` to the caller's cases or to the cases nobody holds (a page
 * may then be short while `nextCursor` is set, as with any filter).
 */
export async function listOpsEscrows(
  deps: OpsDeskDeps,
  tenantId: string,
  filter: OpsQueueFilter,
  caller: OpsUser,
): Promise<{ items: OpsQueueItem[]; nextCursor: string | null }> {
  const { assignee, ...rest } = filter;
  // The queue index holds DISPUTED and needsOpsAttention escrows in deadline order; another status
  // is read from the tenant's list and ordered the same way within the page.
  const queue = rest.status === undefined || rest.status === "DISPUTED" || rest.needsOpsAttention === true;
  const desks = new Map<string, DeskSummary>();
  const held = (desk: DeskSummary) =>
    assignee === undefined || (assignee === "me" ? desk.assignee?.id === caller.id : desk.assignee === null);
  const page = await deps.store.escrows.list(tenantId, {
    ...rest,
    opsQueue: queue,
    // The candidates' desks in one read per index page: to filter by assignee, and for `ops`.
    accept: async (records) => {
      const found = await deps.desk.summaries(
        tenantId,
        records.map((r) => r.terms.id),
      );
      return records.map((r) => {
        const desk = found.get(r.terms.id) ?? EMPTY_DESK;
        desks.set(r.terms.id, desk);
        return held(desk);
      });
    },
  });
  const items = page.items.filter(readable).map((r) => {
    const state = fold(r.terms, r.history);
    const desk = desks.get(r.terms.id) ?? EMPTY_DESK;
    return { ...toView(state), ops: summaryOf(state, desk) };
  });
  if (!queue) items.sort((a, b) => (a.deadline ?? "~").localeCompare(b.deadline ?? "~"));
  return { items, nextCursor: page.nextCursor };
}
