/**
 * Where the escrow's workflow is: the task token of its current wait and the
 * last version it had seen when the wait began, or the wait parked in the
 * record (no execution); which events it has published, and from which
 * version on they are owed.
 */
export interface WaitRecord {
  /** null once the wait is parked. */
  token: string | null;
  seenVersion: number;
  since: string;
  /** The execution the escrow's workflow runs in (or last ran in). */
  execution: string;
  parked: boolean;
  /** Every event up to this version has been published. */
  published: number;
}

/** The workflow's wait of each escrow, kept beside it (not a transition). */
export interface WorkflowWaits {
  /** Records a wait; a slower, superseded attempt (a lower `seenVersion`) never replaces a later wait. */
  put(tenantId: string, escrowId: string, wait: WaitRecord): Promise<void>;
  get(tenantId: string, escrowId: string): Promise<WaitRecord | null>;
  /** Every event up to `version` is published (a lower watermark never replaces a higher). */
  setPublished(tenantId: string, escrowId: string, version: number): Promise<void>;
}
