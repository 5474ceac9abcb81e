import type { ActionCommand } from "../../decide";
import { DAY, DEFAULT_REMINDER_SECONDS } from "../../durations";
import { InvalidTransitionError } from "../../errors";
import { leaseEndErrors } from "../../lease";
import type { Lease } from "../../types";
import { GOODS_WAITS } from "../goods";
import type { Kind } from "../kind";

/**
 * A rent deposit (API.md v1.1, kind `rental_deposit`): held through the
 * lease (for years: the wait parks in the record), then the landlord may
 * claim deductions, the renter answers, ops decide the contested part.
 */
export const rentalDeposit: Kind = {
  name: "rental_deposit",
  windows: {
    claimSeconds: 14 * DAY,
    claimResponseSeconds: 14 * DAY,
    disputeSeconds: 30 * DAY,
    reminderSeconds: DEFAULT_REMINDER_SECONDS,
  },
  createFields: ["lease"],
  terms(input, now, errors) {
    if (!input.lease) {
      errors.push({ path: "lease", message: "is required for kind rental_deposit" });
      return {};
    }
    const lease: Lease = { startsAt: input.lease.startsAt, endsAt: input.lease.endsAt };
    errors.push(...leaseEndErrors(lease.endsAt, now, "lease.endsAt"));
    if (Date.parse(lease.endsAt) <= Date.parse(lease.startsAt))
      errors.push({ path: "lease.endsAt", message: "must be after lease.startsAt" });
    return { lease };
  },
  firstHold: "funded",
  // A lease is a long wait: the workflow parks it in the record.
  fundedStep: "lease_funded",
  waits: {
    FUNDED: { window: "lease", party: "buyer", ifSilent: "move_out" },
    MOVED_OUT: { window: "claim", party: "seller", ifSilent: "refund" },
    CLAIMED: { window: "claim_response", party: "buyer", ifSilent: "accept_claim" },
    // A contested claim waits for ops as a goods dispute does.
    DISPUTED: GOODS_WAITS.DISPUTED,
  },
  actions: [
    "move-out",
    "lease-renewal",
    "deduction-claim",
    "deposit-return",
    "claim-response",
    "cancellation",
    "resolution",
    "evidence-request",
    "resume",
  ],
  guard(state, action: ActionCommand["action"], now) {
    if (action === "cancellation" && state.lease && now.getTime() >= Date.parse(state.lease.startsAt))
      throw new InvalidTransitionError(
        `The lease started at ${state.lease.startsAt}; a deposit can be cancelled only before it starts.`,
      );
  },
  handover: false,
  view: (s) => ({ lease: s.lease, claim: s.claim }),
};
