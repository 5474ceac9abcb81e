import type { DueMarks } from "./due-marks";
import type { EscrowRecords } from "./escrow-records";
import type { EvidenceStore } from "./evidence-store";
import type { HandoverCodes } from "./handover-codes";
import type { IdempotencyStore } from "./idempotency-store";
import type { WorkflowWaits } from "./workflow-waits";

export type * from "./due-marks";
export type * from "./escrow-records";
export type * from "./evidence-store";
export type * from "./handover-codes";
export type * from "./idempotency-store";
export type * from "./workflow-waits";

/**
 * Everything the service keeps, as one small port per kind of item (each
 * with its own adapter: functions/adapters/dynamo-*.ts, assembled by
 * dynamoStore). Each port answers in the domain's words: a lost condition is
 * `false` or `conflict`, a lost answer `unknown`; an error that reaches the
 * caller is a failure of the store itself.
 */
export interface EscrowStore {
  /** The escrow records: terms, history, every transition. */
  readonly escrows: EscrowRecords;
  /** The workflow's current wait of each escrow. */
  readonly waits: WorkflowWaits;
  /** The reconciler's marks and due index. */
  readonly marks: DueMarks;
  readonly evidence: EvidenceStore;
  readonly handover: HandoverCodes;
  readonly idempotency: IdempotencyStore;
}
