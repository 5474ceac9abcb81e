import { describe, expect, it } from "vitest";
import { expire } from "../../functions/domain/escrow";
import { withDefaults } from "../../functions/domain/kinds/registry";
import { reminderDue, reminderOf } from "../../functions/domain/reminders";
import { at, Harness, rentalTerms, terms } from "../support/escrows";

/**
 * Reminders as a function of the escrow (API.md v1.1, "Reminders"): who is
 * reminded in each wait and of what, when, and when not at all.
 */
const DAY = 86_400;
const goods = (windows: Record<string, number> = {}) =>
  new Harness(terms({ windows: withDefaults("goods", windows) }));

describe("the reminder of a wait", () => {
  it("names the party who must act and what silence does, a day before each goods deadline", () => {
    const h = goods();
    h.fund(at(0));
    expect(reminderOf(h.state)).toEqual({
      reminder: { deadline: at(7 * DAY).toISOString(), party: "seller", outcomeIfSilent: "refund" },
      at: at(6 * DAY).toISOString(),
    });
    h.act({ action: "delivery", actorId: "u-seller" }, at(DAY));
    expect(reminderOf(h.state)?.reminder).toMatchObject({ party: "buyer", outcomeIfSilent: "release" });
    h.act({ action: "refund-request", actorId: "u-buyer", reason: "scratched" }, at(2 * DAY));
    expect(reminderOf(h.state)?.reminder).toMatchObject({
      party: "seller",
      outcomeIfSilent: "accept_refund",
    });
    h.act({ action: "refund-response", actorId: "u-seller", accept: false }, at(3 * DAY));
    expect(reminderOf(h.state)).toMatchObject({
      reminder: { party: "ops", outcomeIfSilent: "refund", deadline: at(33 * DAY).toISOString() },
      at: at(32 * DAY).toISOString(),
    });
  });

  it("a lease's end reminds the renter; its claim windows the landlord, then the renter", () => {
    const h = new Harness(rentalTerms());
    h.fund(at(0));
    expect(reminderOf(h.state)?.reminder).toMatchObject({
      party: "buyer",
      outcomeIfSilent: "move_out",
      deadline: h.state.lease?.endsAt,
    });
    h.act({ action: "move-out", actorId: h.t.buyerId }, at(DAY));
    expect(reminderOf(h.state)?.reminder).toMatchObject({ party: "seller", outcomeIfSilent: "refund" });
    h.act(
      {
        action: "deduction-claim",
        actorId: h.t.sellerId,
        items: [{ category: "cleaning", amount: 100, description: "oven" }],
      },
      at(2 * DAY),
    );
    expect(reminderOf(h.state)?.reminder).toMatchObject({ party: "buyer", outcomeIfSilent: "accept_claim" });
  });

  it("a moved deadline has its own reminder; the wait keeps its start", () => {
    const h = goods({ confirmationSeconds: 4 * DAY });
    h.fund(at(0));
    h.act({ action: "delivery", actorId: "u-seller" }, at(DAY));
    h.act({ action: "extension", actorId: "u-buyer", seconds: 2 * DAY }, at(2 * DAY));
    expect(h.state.waitingSince).toBe(at(DAY).toISOString());
    expect(reminderOf(h.state)).toMatchObject({
      reminder: { deadline: at(7 * DAY).toISOString() },
      at: at(6 * DAY).toISOString(),
    });
  });

  it("an evidence request moves the dispute's deadline to 72 hours after it is due, never earlier", () => {
    const h = goods({ disputeSeconds: DAY });
    h.fund(at(0));
    h.act({ action: "dispute", actorId: "u-buyer", reason: "broken" }, at(DAY));
    h.act({ action: "evidence-request", from: "both", dueSeconds: 2 * DAY, note: "photos" }, at(DAY + 60));
    const moved = new Date(at(DAY + 60).getTime() + (2 * DAY + 3 * DAY) * 1000).toISOString();
    expect(h.state.deadline).toBe(moved);
    expect(reminderOf(h.state)?.reminder).toMatchObject({ deadline: moved, party: "ops" });
    // A shorter request later keeps the later deadline.
    h.act({ action: "evidence-request", from: "seller", dueSeconds: 3600, note: "the receipt" }, at(2 * DAY));
    expect(h.state.deadline).toBe(moved);
    expect(h.state.dispute?.evidenceRequest).toMatchObject({ from: "seller", note: "the receipt" });
  });

  it("none when reminders are off, when the wait is shorter than twice the lead, or once it ended", () => {
    const off = goods({ reminderSeconds: 0 });
    off.fund(at(0));
    expect(reminderOf(off.state)).toBeNull();

    const short = goods({ deliverySeconds: 2 * DAY - 1 });
    short.fund(at(0));
    expect(reminderOf(short.state)).toBeNull();
    const exactly = goods({ deliverySeconds: 2 * DAY });
    exactly.fund(at(0));
    expect(reminderOf(exactly.state)).not.toBeNull();

    const confirmed = goods();
    confirmed.fund(at(0));
    confirmed.act({ action: "delivery", actorId: "u-seller" }, at(DAY));
    confirmed.act({ action: "confirmation", actorId: "u-buyer" }, at(2 * DAY));
    expect(reminderOf(confirmed.state)).toBeNull();

    const lapsed = goods();
    lapsed.fund(at(0));
    lapsed.push(expire(lapsed.state), at(7 * DAY));
    expect(reminderOf(lapsed.state)).toBeNull();
  });

  it("is due from its time until the deadline, once per deadline", () => {
    const h = goods();
    h.fund(at(0));
    const deadline = at(7 * DAY).toISOString();
    expect(reminderDue(h.state, at(6 * DAY - 1), null)).toBeNull();
    expect(reminderDue(h.state, at(6 * DAY), null)?.reminder.deadline).toBe(deadline);
    expect(reminderDue(h.state, at(6 * DAY), deadline)).toBeNull();
    expect(reminderDue(h.state, at(7 * DAY), null)).toBeNull();
  });

  it("may go out up to one reconciler period early, so a short lead never falls between two runs", () => {
    const h = goods({ deliverySeconds: 600, reminderSeconds: 60 });
    h.fund(at(0));
    // Runs every 300 s: at 300 s the reminder (due at 540 s) would otherwise wait for the run at 600 s.
    expect(reminderDue(h.state, at(300), null)).toBeNull();
    expect(reminderDue(h.state, at(300), null, 300)?.reminder.deadline).toBe(at(600).toISOString());
    expect(reminderDue(h.state, at(239), null, 300)).toBeNull();
  });
});
