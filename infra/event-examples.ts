import type { EventType } from "../functions/domain/events";
import type { OpsAlertType } from "../functions/domain/ops-alert-types";
import {
  EVENT_EXAMPLES,
  EXAMPLE_DELIVERED,
  EXAMPLE_DISPUTED,
  EXAMPLE_EVIDENCE_REQUESTED,
  EXAMPLE_ID,
  UNSETTLED,
} from "./openapi-examples";

/**
 * One example body of every event type and ops alert, as the service
 * publishes it, for `GET /v1/events/schemas` (each schema's `examples`). A
 * test holds every example valid against its type's schema. The goods
 * examples follow the phone of openapi-examples.ts; the rental and the car
 * are escrows of their own.
 */

type Body = Record<string, unknown>;
const event = (
  type: string,
  escrow: Body & { id: string; version: number; updatedAt: string },
  extra = {},
) => ({
  id: `evt_${escrow.id.slice(4)}_${escrow.version}`,
  type,
  occurredAt: escrow.updatedAt,
  tenantId: "demo",
  escrowId: escrow.id,
  escrow,
  ...extra,
});

const FUNDED = {
  ...EXAMPLE_DELIVERED,
  status: "FUNDED",
  deadline: "2026-12-08T08:00:05.000Z",
  delivery: null,
  updatedAt: "2026-12-01T08:00:05.000Z",
  version: 2,
};
const settled = (status: string, paidToSeller: number, refundedToBuyer: number, platformFee: number) => {
  const settledAt = "2026-12-09T10:00:00.000Z";
  return {
    ...EXAMPLE_DISPUTED,
    status,
    deadline: null,
    held: 0,
    disbursements: [{ at: settledAt, paidToSeller, refundedToBuyer, platformFee, reason: "settlement" }],
    settlement: { paidToSeller, refundedToBuyer, platformFee, settledAt },
    updatedAt: settledAt,
    version: 8,
  };
};
const RELEASED = {
  ...settled("RELEASED", 242500, 0, 7500),
  dispute: null,
  refundRequest: null,
  version: 5,
};

const RENTAL = {
  id: "esc_01JD7A4B5C6D7E8F9G0H1J2K3M",
  kind: "rental_deposit",
  status: "FUNDED",
  buyerId: "u-renter",
  sellerId: "u-landlord",
  amount: 600000,
  currency: "CNY",
  fee: 6000,
  description: "Deposit, 2BR Chaoyang",
  listingRef: null,
  metadata: {},
  windows: {
    claimSeconds: 1209600,
    claimResponseSeconds: 1209600,
    disputeSeconds: 2592000,
    reminderSeconds: 86400,
  },
  deadline: "2028-11-30T00:00:00.000Z",
  pendingAction: null,
  delivery: null,
  refundRequest: null,
  dispute: null,
  lease: { startsAt: "2026-12-01T00:00:00.000Z", endsAt: "2028-11-30T00:00:00.000Z", movedOutAt: null },
  claim: null,
  funded: 600000,
  held: 600000,
  ...UNSETTLED,
  createdAt: "2026-11-20T09:00:00.000Z",
  updatedAt: "2026-11-20T09:00:02.000Z",
  version: 2,
};
const MOVED_OUT = {
  ...RENTAL,
  status: "MOVED_OUT",
  deadline: "2028-12-14T00:00:00.000Z",
  lease: { ...RENTAL.lease, movedOutAt: "2028-11-30T00:00:00.000Z" },
  updatedAt: "2028-11-30T00:00:00.000Z",
  version: 3,
};
const CLAIM = {
  items: [
    { category: "cleaning", amount: 20000, description: "Deep clean" },
    { category: "damage", amount: 100000, description: "Broken sofa" },
  ],
  total: 120000,
  claimedAt: "2028-12-02T10:00:00.000Z",
  acceptedAmount: null,
};
const CLAIMED = {
  ...MOVED_OUT,
  status: "CLAIMED",
  deadline: "2028-12-16T10:00:00.000Z",
  claim: CLAIM,
  updatedAt: CLAIM.claimedAt,
  version: 4,
};
const PARTIALLY_SETTLED = {
  ...CLAIMED,
  status: "DISPUTED",
  deadline: "2029-01-04T11:00:00.000Z",
  claim: { ...CLAIM, acceptedAmount: 20000 },
  dispute: {
    openedBy: "buyer",
    reason: "The sofa was broken before the lease",
    openedAt: "2028-12-05T11:00:00.000Z",
    contestedAmount: 100000,
  },
  held: 100000,
  disbursements: [
    {
      at: "2028-12-05T11:00:03.000Z",
      paidToSeller: 19800,
      refundedToBuyer: 480000,
      platformFee: 200,
      reason: "undisputed_part",
    },
  ],
  updatedAt: "2028-12-05T11:00:03.000Z",
  version: 7,
};

const RESERVED = {
  id: "esc_01JD8B5C6D7E8F9G0H1J2K3M4N",
  kind: "vehicle",
  status: "RESERVED",
  buyerId: "u-buyer",
  sellerId: "u-dealer",
  amount: 8800000,
  currency: "CNY",
  fee: 88000,
  description: null,
  listingRef: null,
  metadata: {},
  windows: {
    inspectionSeconds: 259200,
    deliverySeconds: 604800,
    confirmationSeconds: 259200,
    sellerResponseSeconds: 432000,
    disputeSeconds: 2592000,
    reminderSeconds: 86400,
  },
  deadline: "2026-12-04T08:00:02.000Z",
  pendingAction: null,
  delivery: null,
  refundRequest: null,
  dispute: null,
  vehicle: { vin: "LSVAU2180N2183294", description: "2019 Passat 1.4T" },
  deposit: 200000,
  depositForfeitable: true,
  inspection: null,
  funded: 200000,
  held: 200000,
  ...UNSETTLED,
  createdAt: "2026-12-01T08:00:00.000Z",
  updatedAt: "2026-12-01T08:00:02.000Z",
  version: 2,
};
const INSPECTED = {
  ...RESERVED,
  status: "FUNDED",
  deadline: "2026-12-09T10:00:04.000Z",
  inspection: { accepted: true, reason: null, at: "2026-12-02T10:00:00.000Z" },
  funded: 8800000,
  held: 8800000,
  updatedAt: "2026-12-02T10:00:04.000Z",
  version: 5,
};

const alert = (
  type: OpsAlertType,
  escrow: Body & { id: string; version: number; updatedAt: string },
  reason: string,
  id = `alr_${escrow.id.slice(4)}_${escrow.version}`,
) => ({
  id,
  type,
  occurredAt: escrow.updatedAt,
  tenantId: "demo",
  escrowId: escrow.id,
  escrow,
  reason,
  consoleUrl: `http://127.0.0.1:3000/ops/escrows/${escrow.id}`,
});
const PAYOUT_REFUSED = {
  ...EXAMPLE_DELIVERED,
  pendingAction: "confirmation",
  deadline: null,
  needsOpsAttention: true,
  attentionReason: "payout_rejected",
  updatedAt: "2026-12-05T10:00:02.000Z",
  version: 6,
};

/** Every event type's example body. */
export const EVENT_TYPE_EXAMPLES: Record<EventType, Body> = {
  "escrow.funded": event("escrow.funded", FUNDED),
  "escrow.cancelled": event("escrow.cancelled", {
    ...FUNDED,
    status: "CANCELLED",
    deadline: null,
    funded: 0,
    held: 0,
    failureReason: "payment_declined",
  }),
  "escrow.delivered": event("escrow.delivered", EXAMPLE_DELIVERED),
  "escrow.extended": event("escrow.extended", {
    ...EXAMPLE_DELIVERED,
    deadline: "2026-12-14T09:00:00.000Z",
    updatedAt: "2026-12-05T09:00:00.000Z",
    version: 4,
  }),
  "escrow.refund_requested": event("escrow.refund_requested", {
    ...EXAMPLE_DISPUTED,
    status: "REFUND_REQUESTED",
    deadline: "2026-12-07T10:00:00.000Z",
    dispute: null,
    updatedAt: EXAMPLE_DISPUTED.refundRequest.requestedAt,
    version: 4,
  }),
  "escrow.disputed": event("escrow.disputed", EXAMPLE_DISPUTED),
  "escrow.released": event("escrow.released", RELEASED),
  "escrow.refunded": event("escrow.refunded", settled("REFUNDED", 0, 250000, 0)),
  "escrow.settled": event("escrow.settled", settled("SETTLED", 121250, 125000, 3750)),
  "escrow.moved_out": event("escrow.moved_out", MOVED_OUT),
  "escrow.lease_renewed": event("escrow.lease_renewed", {
    ...RENTAL,
    deadline: "2029-11-30T00:00:00.000Z",
    lease: { ...RENTAL.lease, endsAt: "2029-11-30T00:00:00.000Z" },
    updatedAt: "2028-10-01T09:00:00.000Z",
    version: 3,
  }),
  "escrow.deductions_claimed": event("escrow.deductions_claimed", CLAIMED),
  "escrow.partially_settled": event("escrow.partially_settled", PARTIALLY_SETTLED),
  "escrow.reserved": event("escrow.reserved", RESERVED),
  "escrow.inspected": event("escrow.inspected", INSPECTED),
  "escrow.evidence_added": EVENT_EXAMPLES.evidenceAdded?.value as Body,
  "escrow.evidence_requested": EVENT_EXAMPLES.evidenceRequested?.value as Body,
  "escrow.deadline_approaching": EVENT_EXAMPLES.deadlineApproaching?.value as Body,
};

/** Every ops alert type's example body. */
export const OPS_ALERT_EXAMPLES: Record<OpsAlertType, Body> = {
  "escrow.dispute_unresolved": alert(
    "escrow.dispute_unresolved",
    settled("REFUNDED", 0, 250000, 0),
    "The dispute window elapsed without a resolution; the buyer is refunded.",
  ),
  "escrow.needs_ops": alert(
    "escrow.needs_ops",
    PAYOUT_REFUSED,
    "payout_rejected: PayoutRejected: the payee's account is closed",
  ),
  "escrow.dependency_failing": alert(
    "escrow.dependency_failing",
    { ...EXAMPLE_EVIDENCE_REQUESTED, updatedAt: "2026-12-09T10:15:00.000Z" },
    "Step Functions has been failing for 15 minutes; the escrow resumes by itself once it recovers.",
    `alr_${EXAMPLE_ID.slice(4)}_dependency_failing_1`,
  ),
  "escrow.dependency_recovered": alert(
    "escrow.dependency_recovered",
    { ...EXAMPLE_EVIDENCE_REQUESTED, updatedAt: "2026-12-09T10:40:00.000Z" },
    "Step Functions answers again; the escrow has resumed.",
    `alr_${EXAMPLE_ID.slice(4)}_dependency_recovered_1`,
  ),
};

/** The example of any type, escrow event or ops alert. */
export const exampleOf = (type: string): Body | undefined =>
  (EVENT_TYPE_EXAMPLES as Record<string, Body>)[type] ?? (OPS_ALERT_EXAMPLES as Record<string, Body>)[type];
