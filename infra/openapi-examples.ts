/**
 * The OpenAPI document's worked examples (infra/openapi.ts): one goods escrow
 * followed from delivery to an evidence request, the evidence items and the
 * event bodies of the types that carry a field beside the escrow.
 */

/** A named example of a request or response body (an OpenAPI Example Object). */
export interface Example {
  summary: string;
  value: unknown;
}

/**
 * What an escrow shows before anything is paid out, settled, decided or
 * flagged for ops, in the place the service answers it (after `held`).
 */
export const UNSETTLED = {
  disbursements: [],
  settlement: null,
  failureReason: null,
  needsOpsAttention: false,
  attentionReason: null,
  resolution: null,
};

/**
 * One goods escrow through a refund request the seller rejects, evidence from
 * both parties and an ops request for more: each example is the escrow, the
 * item or the event exactly as the service answers or publishes it at that
 * point (Redocly checks them against the schemas).
 */
export const EXAMPLE_ID = "esc_01JD6Z2Q8M3V4N5P6R7S8T9V0W";
export const EXAMPLE_DELIVERED = {
  id: EXAMPLE_ID,
  kind: "goods",
  status: "DELIVERED",
  buyerId: "u-1001",
  sellerId: "u-2002",
  amount: 250000,
  currency: "CNY",
  fee: 7500,
  description: "Used phone",
  listingRef: "listing-88",
  metadata: {},
  windows: {
    deliverySeconds: 604800,
    confirmationSeconds: 864000,
    sellerResponseSeconds: 432000,
    disputeSeconds: 259200,
    reminderSeconds: 86400,
  },
  deadline: "2026-12-11T09:00:00.000Z",
  pendingAction: null,
  delivery: { carrier: "SF", trackingNumber: "SF456", note: null, deliveredAt: "2026-12-01T09:00:00.000Z" },
  refundRequest: null,
  dispute: null,
  funded: 250000,
  held: 250000,
  ...UNSETTLED,
  createdAt: "2026-12-01T08:00:00.000Z",
  updatedAt: "2026-12-01T09:00:00.000Z",
  version: 3,
};
/** After the buyer's refund request (v4) and the seller's rejection (v5): DISPUTED, a 3-day dispute window. */
export const EXAMPLE_DISPUTED = {
  ...EXAMPLE_DELIVERED,
  status: "DISPUTED",
  deadline: "2026-12-06T10:00:00.000Z",
  refundRequest: {
    amount: 250000,
    reason: "Screen cracked on arrival",
    requestedAt: "2026-12-02T10:00:00.000Z",
  },
  dispute: { openedBy: "seller", reason: "It left here intact", openedAt: "2026-12-03T10:00:00.000Z" },
  updatedAt: "2026-12-03T10:00:00.000Z",
  version: 5,
};
export const EXAMPLE_EVIDENCE_REQUEST = {
  from: "seller",
  dueAt: "2026-12-06T10:00:00.000Z",
  note: "Please upload the courier's pickup photo.",
};
/** After ops asked the seller for evidence due in 2 days (v6): the deadline moved to dueAt + 72 h. */
export const EXAMPLE_EVIDENCE_REQUESTED = {
  ...EXAMPLE_DISPUTED,
  deadline: "2026-12-09T10:00:00.000Z",
  dispute: { ...EXAMPLE_DISPUTED.dispute, evidenceRequest: EXAMPLE_EVIDENCE_REQUEST },
  updatedAt: "2026-12-04T10:00:00.000Z",
  version: 6,
};
export const EXAMPLE_ATTACHMENT = {
  name: "screen.jpg",
  contentType: "image/jpeg",
  sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
  uri: "https://files.example.com/disputes/screen.jpg",
};
export const EXAMPLE_BUYER_EVIDENCE = {
  id: "evd_5f0c9a1b2d3e4f5a6b7c8d9e",
  by: "buyer",
  text: "The screen was cracked on arrival; photos of the box and the screen attached.",
  attachments: [EXAMPLE_ATTACHMENT],
  at: "2026-12-03T12:00:00.000Z",
};
export const EXAMPLE_SELLER_EVIDENCE = {
  id: "evd_0a1b2c3d4e5f60718293a4b5",
  by: "seller",
  text: "Packed in the original box with bubble wrap; the courier's receipt says intact.",
  attachments: [],
  at: "2026-12-03T15:30:00.000Z",
};
/** An event body as published: the envelope, the escrow as it stood, then the type's own field. */
const exampleEvent = (
  envelope: { id: string; type: string; occurredAt: string },
  escrow: { id: string; version: number },
  field: Record<string, unknown>,
) => ({ ...envelope, tenantId: "demo", escrowId: escrow.id, escrow, ...field });

/** The webhook's examples: the event types that carry a field beside the escrow. */
export const EVENT_EXAMPLES: Record<string, Example> = {
  evidenceAdded: {
    summary: "escrow.evidence_added: a party added evidence (published by the request; id per item)",
    value: exampleEvent(
      {
        id: `evt_${EXAMPLE_ID.slice(4)}_${EXAMPLE_BUYER_EVIDENCE.id}`,
        type: "escrow.evidence_added",
        occurredAt: EXAMPLE_BUYER_EVIDENCE.at,
      },
      EXAMPLE_DISPUTED,
      { evidence: EXAMPLE_BUYER_EVIDENCE },
    ),
  },
  evidenceRequested: {
    summary: "escrow.evidence_requested: ops asked the seller for evidence; the deadline moved",
    value: exampleEvent(
      {
        id: `evt_${EXAMPLE_ID.slice(4)}_${EXAMPLE_EVIDENCE_REQUESTED.version}`,
        type: "escrow.evidence_requested",
        occurredAt: EXAMPLE_EVIDENCE_REQUESTED.updatedAt,
      },
      EXAMPLE_EVIDENCE_REQUESTED,
      { evidenceRequest: EXAMPLE_EVIDENCE_REQUEST },
    ),
  },
  deadlineApproaching: {
    summary: "escrow.deadline_approaching: the buyer has a day left to confirm before the money is released",
    value: exampleEvent(
      {
        // Stable per escrow and deadline: `r` and the deadline's epoch milliseconds in base 36.
        id: `evt_${EXAMPLE_ID.slice(4)}_r${Date.parse(EXAMPLE_DELIVERED.deadline).toString(36)}`,
        type: "escrow.deadline_approaching",
        // The reminder's time: the deadline less windows.reminderSeconds.
        occurredAt: "2026-12-10T09:00:00.000Z",
      },
      EXAMPLE_DELIVERED,
      { reminder: { deadline: EXAMPLE_DELIVERED.deadline, party: "buyer", outcomeIfSilent: "release" } },
    ),
  },
};
