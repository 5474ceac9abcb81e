import type { EscrowView, OpsUser } from "../../domain/types";

/** What the console reads of the API's answers (the OpenAPI document has the whole shapes). */
export type { Disbursement, OpsUser } from "../../domain/types";

/** An escrow as the API answers it: the fields the console reads. */
export type Escrow = Pick<
  EscrowView,
  | "id"
  | "kind"
  | "status"
  | "buyerId"
  | "sellerId"
  | "amount"
  | "currency"
  | "fee"
  | "description"
  | "deadline"
  | "pendingAction"
  | "dispute"
  | "funded"
  | "held"
  | "disbursements"
  | "settlement"
  | "needsOpsAttention"
  | "attentionReason"
  | "resolution"
  | "version"
>;

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
