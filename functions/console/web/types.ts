/** What the console reads of the API's answers (the OpenAPI document has the whole shapes). */
export interface OpsUser {
  id: string;
  name: string;
}

export interface Disbursement {
  at: string;
  paidToSeller: number;
  refundedToBuyer: number;
  platformFee: number;
  reason: string;
}

export interface Escrow {
  id: string;
  kind: string;
  status: string;
  buyerId: string;
  sellerId: string;
  amount: number;
  currency: string;
  fee: number;
  description: string | null;
  deadline: string | null;
  pendingAction: string | null;
  dispute: {
    openedBy: string;
    reason: string;
    openedAt: string;
    contestedAmount?: number;
    evidenceRequest?: { from: string; dueAt: string; note: string };
  } | null;
  funded: number;
  held: number;
  disbursements: Disbursement[];
  settlement: {
    paidToSeller: number;
    refundedToBuyer: number;
    platformFee: number;
    settledAt: string;
  } | null;
  needsOpsAttention: boolean;
  attentionReason: string | null;
  resolution: {
    outcome: string;
    refundAmount: number;
    reasonCode: string | null;
    note: string;
    decidedBy: OpsUser;
    decidedAt: string;
  } | null;
  version: number;
}

export interface OpsSummary {
  needsOpsAttention: boolean;
  attentionReason: string | null;
  assignee: OpsUser | null;
  history: { at: string; type: string; by: OpsUser; assignee: OpsUser | null }[];
  waitingFor: string | null;
  evidenceCount: { buyer: number; seller: number };
}

export interface OpsEscrow extends Escrow {
  ops: OpsSummary & {
    notes: { id: string; text: string; by: OpsUser; at: string }[];
    execution: {
      arn: string;
      status: string | null;
      startedAt: string | null;
      consoleUrl: string;
      recent: { at: string; type: string; state?: string }[];
    };
  };
}

export interface QueueItem extends Escrow {
  ops: OpsSummary;
}

export interface HistoryItem {
  at: string;
  type: string;
  actor: string;
  opsUser?: OpsUser;
  data: Record<string, unknown>;
  version?: number;
}

export interface EvidenceItem {
  id: string;
  by: "buyer" | "seller";
  text: string;
  attachments: { name: string; contentType: string; sha256: string; uri: string }[];
  at: string;
}

export { REASON_CODES, STATUSES } from "../../domain/types";
