import type { EscrowStatus } from "../../functions/domain/types";

/**
 * API.md's status table: the statuses each action is allowed from, written
 * out independently of the implementation (the domain tests and the fault
 * campaign hold the service to it).
 */
export const ALLOWED_FROM = {
  inspection: ["RESERVED"],
  "move-out": ["FUNDED"],
  "deduction-claim": ["MOVED_OUT"],
  "claim-response": ["CLAIMED"],
  delivery: ["FUNDED"],
  cancellation: ["FUNDED"],
  dispute: ["FUNDED", "DELIVERED", "REFUND_REQUESTED"],
  confirmation: ["DELIVERED"],
  extension: ["DELIVERED"],
  "refund-request": ["DELIVERED"],
  "refund-response": ["REFUND_REQUESTED"],
  resolution: ["DISPUTED"],
} as const satisfies Record<string, readonly EscrowStatus[]>;
