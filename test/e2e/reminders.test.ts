import { describe, expect, it } from "vitest";
import { carDeal, DAY, isoAt, rentalDeposit } from "../support/orders";
import { BUYER, order, SELLER } from "./client";
import { useLocalService } from "./server";

/**
 * Reminders end to end (API.md v1.1, "Reminders"): before a wait ends by
 * itself against someone, `escrow.deadline_approaching` is published once per
 * deadline, `windows.reminderSeconds` before it, naming the party who must act
 * and what happens if they do not. The service runs with its default
 * reconciliation period: it must wake itself when a reminder comes due.
 *
 * Every scenario uses windows of their real lengths (days) and moves the
 * service's clock (API.md v1.2, `POST /_local/clock`): to just before the
 * reminder's time (none yet), to it (one, published then), and to the
 * deadline (the wait ends by itself, and no other reminder came). A move
 * moves every escrow of this service, so the scenarios run one at a time.
 * Where a test proves that no reminder came, a control escrow with the same
 * timing whose reminder does come shows that the time did pass.
 */
const api = useLocalService();

const REMINDER = "escrow.deadline_approaching";
const WAIT_MS = 30_000;
const RENTER = "u-renter-rem";
const LANDLORD = "u-landlord-rem";
const CAR_BUYER = "u-car-buyer-rem";
const CAR_SELLER = "u-car-seller-rem";

type Note = { messageId: string; attributes: Record<string, string>; event: any; timestamp: string };

const remindersOf = async (id: string): Promise<Note[]> =>
  (await api.notifications(id)).filter((n) => n.event?.type === REMINDER);

/** Moves the service's clock to `at` (epoch ms; at least one second), and answers once it has settled there. */
async function advanceTo(at: number): Promise<void> {
  const now = await api.now();
  serviceNow = Date.parse((await api.advanceClock(Math.max(1, Math.ceil((at - now) / 1000)))).now);
}

/** The service's time after the last move (leases are written from it, not from the machine's time). */
let serviceNow = Date.now();

/** The time a wait's reminder is due: `lead` seconds before its deadline. */
const reminderTime = (waiting: { deadline: string }, lead: number) =>
  Date.parse(waiting.deadline) - lead * 1000;

/**
 * The reminder of the wait `waiting` was in (the escrow as read during that
 * wait): it names the deadline the escrow had, the party and the outcome, and
 * was published at or after `deadline − lead` and before the deadline.
 */
function expectReminder(
  note: Note | undefined,
  waiting: { id: string; status: string; deadline: string },
  expected: { party: string; outcomeIfSilent: string; lead: number },
) {
  expect(note, `a reminder of ${waiting.id}`).toBeDefined();
  const n = note as Note;
  expect(n.attributes).toEqual({ type: REMINDER, tenantId: "demo" });
  expect(n.event).toMatchObject({
    id: expect.stringMatching(/^evt_/),
    type: REMINDER,
    tenantId: "demo",
    escrowId: waiting.id,
    occurredAt: expect.any(String),
    escrow: { id: waiting.id, status: waiting.status, deadline: waiting.deadline },
  });
  expect(n.event.reminder).toEqual({
    deadline: waiting.deadline,
    party: expected.party,
    outcomeIfSilent: expected.outcomeIfSilent,
  });
  const deadline = Date.parse(waiting.deadline);
  // occurredAt is the reminder's own time; SNS's timestamp is when it was actually published.
  expect(n.event.occurredAt).toBe(new Date(deadline - expected.lead * 1000).toISOString());
  const at = Date.parse(n.timestamp);
  expect(Number.isNaN(at)).toBe(false);
  expect(at, `published at ${n.timestamp}, deadline ${waiting.deadline}`).toBeGreaterThanOrEqual(
    deadline - expected.lead * 1000,
  );
  expect(at, `published at ${n.timestamp}, deadline ${waiting.deadline}`).toBeLessThan(deadline);
}

const act = async (id: string, action: string, body: Record<string, unknown>, status = 202) => {
  const res = await api.act(id, action, body);
  expect(res.status, `${action}: ${JSON.stringify(res.body)}`).toBe(status);
  return res.body;
};

async function created(body: Record<string, unknown>, status: string) {
  const res = await api.create(body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return api.waitFor(res.body.id, status, WAIT_MS);
}

const goods = (windows: Record<string, number>) => created(order({ windows }), "FUNDED");

async function delivered(windows: Record<string, number>) {
  const escrow = await goods(windows);
  await act(escrow.id, "delivery", { actorId: SELLER, carrier: "SF", trackingNumber: "SF123" });
  return api.waitFor(escrow.id, "DELIVERED", WAIT_MS);
}

const deposit = (overrides: Record<string, unknown> = {}) =>
  rentalDeposit({
    buyerId: RENTER,
    sellerId: LANDLORD,
    lease: { startsAt: isoAt(serviceNow, -30 * DAY), endsAt: isoAt(serviceNow, 365 * DAY) },
    ...overrides,
  });

const car = (overrides: Record<string, unknown> = {}) =>
  carDeal({ buyerId: CAR_BUYER, sellerId: CAR_SELLER, ...overrides });

/**
 * The standard scenario: no reminder a minute before its time; one at its
 * time, for the wait `waiting` is in; then the wait ends by itself at its
 * deadline (`then`: the status and the event it ends with), and no other
 * reminder came.
 */
async function expectOneReminderThenLapse(
  waiting: any,
  expected: { party: string; outcomeIfSilent: string; lead: number },
  then: { status: string; event: string },
) {
  expect(waiting.windows.reminderSeconds).toBe(expected.lead);
  await advanceTo(reminderTime(waiting, expected.lead) - 60_000);
  expect(await remindersOf(waiting.id)).toEqual([]);
  await advanceTo(reminderTime(waiting, expected.lead));
  const [note, ...more] = await remindersOf(waiting.id);
  expect(more).toEqual([]);
  expectReminder(note, waiting, expected);
  expect((await api.get(waiting.id)).body.status).toBe(waiting.status);
  await advanceTo(Date.parse(waiting.deadline));
  await api.waitFor(waiting.id, then.status, WAIT_MS);
  await api.waitForEvents(waiting.id, [REMINDER, then.event], WAIT_MS);
  expect(await remindersOf(waiting.id)).toHaveLength(1);
}

describe("a reminder comes once, before the deadline, naming who must act", () => {
  it("goods, delivery wait: the seller, or the buyer is refunded", async () => {
    const escrow = await goods({});
    await expectOneReminderThenLapse(
      escrow,
      { party: "seller", outcomeIfSilent: "refund", lead: DAY },
      { status: "REFUNDED", event: "escrow.refunded" },
    );
    const types = (await api.notifications(escrow.id)).map((n) => n.event.type);
    expect(types).toEqual(["escrow.funded", REMINDER, "escrow.refunded"]);
  });

  it("goods, confirmation wait: the buyer, or the seller is paid", async () => {
    const escrow = await delivered({});
    await expectOneReminderThenLapse(
      escrow,
      { party: "buyer", outcomeIfSilent: "release", lead: DAY },
      { status: "RELEASED", event: "escrow.released" },
    );
  });

  it("goods, refund response: the seller, or the refund is accepted as asked", async () => {
    const escrow = await delivered({});
    await act(escrow.id, "refund-request", { actorId: BUYER, reason: "not as described" });
    const asked = await api.waitFor(escrow.id, "REFUND_REQUESTED", WAIT_MS);
    await expectOneReminderThenLapse(
      asked,
      { party: "seller", outcomeIfSilent: "accept_refund", lead: DAY },
      { status: "REFUNDED", event: "escrow.refunded" },
    );
  });

  it("goods, dispute: ops, or the buyer is refunded", async () => {
    const escrow = await goods({});
    await act(escrow.id, "dispute", { actorId: BUYER, reason: "seller unreachable" });
    const disputed = await api.waitFor(escrow.id, "DISPUTED", WAIT_MS);
    await expectOneReminderThenLapse(
      disputed,
      { party: "ops", outcomeIfSilent: "refund", lead: DAY },
      { status: "REFUNDED", event: "escrow.refunded" },
    );
  });

  it("rental, lease end two years out: the renter, or the lease ends as a move-out", async () => {
    const now = await api.now();
    const escrow = await created(
      deposit({
        lease: { startsAt: isoAt(now, -DAY), endsAt: isoAt(now, 2 * 365 * DAY) },
        windows: { reminderSeconds: 7 * DAY },
      }),
      "FUNDED",
    );
    expect(escrow.deadline).toBe(escrow.lease.endsAt);
    await expectOneReminderThenLapse(
      escrow,
      { party: "buyer", outcomeIfSilent: "move_out", lead: 7 * DAY },
      { status: "MOVED_OUT", event: "escrow.moved_out" },
    );
  });

  it("rental, claim window: the landlord, or the deposit goes back", async () => {
    const escrow = await created(deposit(), "FUNDED");
    await act(escrow.id, "move-out", { actorId: RENTER });
    const moved = await api.waitFor(escrow.id, "MOVED_OUT", WAIT_MS);
    await expectOneReminderThenLapse(
      moved,
      { party: "seller", outcomeIfSilent: "refund", lead: DAY },
      { status: "REFUNDED", event: "escrow.refunded" },
    );
  });

  it("rental, claim response: the renter, or the claim is accepted", async () => {
    const escrow = await created(deposit(), "FUNDED");
    await act(escrow.id, "move-out", { actorId: LANDLORD });
    await act(escrow.id, "deduction-claim", {
      actorId: LANDLORD,
      items: [{ category: "cleaning", amount: 30000, description: "Deep clean" }],
    });
    const claimed = await api.waitFor(escrow.id, "CLAIMED", WAIT_MS);
    await expectOneReminderThenLapse(
      claimed,
      { party: "buyer", outcomeIfSilent: "accept_claim", lead: DAY },
      { status: "SETTLED", event: "escrow.settled" },
    );
  });

  it("vehicle, inspection of a forfeitable deposit: the buyer, or the deposit is forfeited", async () => {
    const escrow = await created(car({ depositForfeitable: true }), "RESERVED");
    await expectOneReminderThenLapse(
      escrow,
      { party: "buyer", outcomeIfSilent: "forfeit_deposit", lead: DAY },
      { status: "RELEASED", event: "escrow.released" },
    );
  });

  it("vehicle, inspection of a non-forfeitable deposit: the buyer, or the deposit goes back", async () => {
    const escrow = await created(car(), "RESERVED");
    expect(escrow.depositForfeitable).toBe(false);
    await expectOneReminderThenLapse(
      escrow,
      { party: "buyer", outcomeIfSilent: "refund", lead: DAY },
      { status: "REFUNDED", event: "escrow.refunded" },
    );
  });
});

describe("no reminder", () => {
  it("after a wait that ended early (delivered before the reminder's time)", async () => {
    const early = await goods({});
    // The witness: the same wait, left to run.
    const control = await goods({});
    await advanceTo(reminderTime(early, DAY) - 3600_000);
    await act(early.id, "delivery", { actorId: SELLER });
    await advanceTo(Date.parse(control.deadline));
    const [note] = await remindersOf(control.id);
    expectReminder(note, control, { party: "seller", outcomeIfSilent: "refund", lead: DAY });
    await api.waitFor(control.id, "REFUNDED", WAIT_MS);
    // The delivered escrow's reminder is its confirmation wait's, not the delivery wait's.
    expect((await remindersOf(early.id)).map((n) => n.event.reminder.deadline)).not.toContain(early.deadline);
    expect((await api.get(early.id)).body.status).toBe("DELIVERED");
  });

  it("with reminderSeconds 0", async () => {
    const silent = await goods({ reminderSeconds: 0 });
    expect(silent.windows.reminderSeconds).toBe(0);
    const control = await goods({});
    await advanceTo(Math.max(Date.parse(silent.deadline), Date.parse(control.deadline)));
    expectReminder((await remindersOf(control.id))[0], control, {
      party: "seller",
      outcomeIfSilent: "refund",
      lead: DAY,
    });
    await api.waitFor(silent.id, "REFUNDED", WAIT_MS);
    await api.waitFor(control.id, "REFUNDED", WAIT_MS);
    expect(await remindersOf(silent.id)).toEqual([]);
    expect((await api.notifications(silent.id)).map((n) => n.event.type)).toEqual([
      "escrow.funded",
      "escrow.refunded",
    ]);
  });

  it("for a window shorter than twice the lead (2 days less a second, lead 1 day); exactly twice has one", async () => {
    const short = await goods({ deliverySeconds: 2 * DAY - 1 });
    const control = await goods({ deliverySeconds: 2 * DAY });
    await advanceTo(Math.max(Date.parse(short.deadline), Date.parse(control.deadline)));
    expectReminder((await remindersOf(control.id))[0], control, {
      party: "seller",
      outcomeIfSilent: "refund",
      lead: DAY,
    });
    await api.waitFor(short.id, "REFUNDED", WAIT_MS);
    await api.waitFor(control.id, "REFUNDED", WAIT_MS);
    expect(await remindersOf(short.id)).toEqual([]);
    expect(await remindersOf(control.id)).toHaveLength(1);
  });
});

describe("a deadline that moves gets its own reminder", () => {
  it("an extension before the reminder: only the new deadline is reminded", async () => {
    const escrow = await delivered({});
    await advanceTo(reminderTime(escrow, DAY) - 3600_000);
    const extended = await act(escrow.id, "extension", { actorId: BUYER, seconds: 2 * DAY });
    expect(Date.parse(extended.deadline) - Date.parse(escrow.deadline)).toBe(2 * DAY * 1000);
    // The old deadline's reminder time and the old deadline pass: nothing.
    await advanceTo(Date.parse(escrow.deadline));
    expect(await remindersOf(escrow.id)).toEqual([]);
    await advanceTo(reminderTime(extended, DAY));
    expectReminder((await remindersOf(escrow.id))[0], extended, {
      party: "buyer",
      outcomeIfSilent: "release",
      lead: DAY,
    });
    await advanceTo(Date.parse(extended.deadline));
    await api.waitFor(escrow.id, "RELEASED", WAIT_MS);
    const types = (await api.waitForEvents(escrow.id, [REMINDER, "escrow.released"], WAIT_MS)).map(
      (n) => n.event.type,
    );
    expect(types).toContain("escrow.extended");
    const reminders = await remindersOf(escrow.id);
    expect(reminders.map((n) => n.event.reminder.deadline)).toEqual([extended.deadline]);
  });

  it("an extension after the reminder: a second reminder carries the new deadline", async () => {
    const escrow = await delivered({});
    await advanceTo(reminderTime(escrow, DAY));
    const [first] = await remindersOf(escrow.id);
    expectReminder(first, escrow, { party: "buyer", outcomeIfSilent: "release", lead: DAY });
    const extended = await act(escrow.id, "extension", { actorId: BUYER, seconds: 3 * DAY });
    expect(extended.status).toBe("DELIVERED");
    expect(Date.parse(extended.deadline) - Date.parse(escrow.deadline)).toBe(3 * DAY * 1000);
    await advanceTo(reminderTime(extended, DAY));
    const [, second, ...more] = await remindersOf(escrow.id);
    expect(more).toEqual([]);
    expectReminder(second, extended, { party: "buyer", outcomeIfSilent: "release", lead: DAY });
    expect(second?.event.id).not.toBe(first?.event.id);
    await advanceTo(Date.parse(extended.deadline));
    await api.waitFor(escrow.id, "RELEASED", WAIT_MS);
    const types = (await api.waitForEvents(escrow.id, [REMINDER, REMINDER, "escrow.released"], WAIT_MS)).map(
      (n) => n.event.type,
    );
    expect(types).toContain("escrow.extended");
    expect((await remindersOf(escrow.id)).map((n) => n.event.reminder.deadline)).toEqual([
      escrow.deadline,
      extended.deadline,
    ]);
  });
});

describe.concurrent("windows.reminderSeconds", () => {
  it("defaults to 24 hours on every kind", async () => {
    for (const [kind, body] of [
      ["goods", order()],
      ["rental_deposit", deposit()],
      ["vehicle", car()],
    ] as const) {
      const res = await api.create(body);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.windows.reminderSeconds, kind).toBe(DAY);
    }
  });

  it("accepts 0 to 7 days on every kind", async () => {
    for (const make of [order, deposit, car])
      for (const reminderSeconds of [0, 1, 7 * DAY]) {
        const res = await api.create(make({ windows: { reminderSeconds } }));
        expect(res.status, `${reminderSeconds}: ${JSON.stringify(res.body)}`).toBe(201);
        expect(res.body.windows.reminderSeconds).toBe(reminderSeconds);
      }
  });

  it("refuses anything else with 400, and creates nothing", async () => {
    const buyerId = `u-rem-${crypto.randomUUID()}`;
    for (const make of [order, deposit, car])
      for (const reminderSeconds of [-1, 7 * DAY + 1, 1.5, "3600", null]) {
        const res = await api.create(make({ buyerId, windows: { reminderSeconds } }));
        expect(res.status, `${JSON.stringify(reminderSeconds)}: ${JSON.stringify(res.body)}`).toBe(400);
        expect(res.contentType).toMatch(/^application\/problem\+json/);
        expect(res.body.code).toBe("validation_error");
        expect(res.body.errors.map((e: any) => e.path)).toContain("windows.reminderSeconds");
      }
    const list = await api.call("GET", `/v1/escrows?buyerId=${buyerId}`);
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([]);
  });
});
