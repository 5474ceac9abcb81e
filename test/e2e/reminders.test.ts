import { afterAll, describe, expect, it, vi } from "vitest";
import { carDeal, DAY, iso, rentalDeposit } from "../support/orders";
import { waitFor } from "../support/wait";
import { BUYER, order, SELLER } from "./client";
import { useLocalService } from "./server";

/**
 * Reminders end to end (API.md v1.1, "Reminders"): before a wait ends by
 * itself against someone, `escrow.deadline_approaching` is published once per
 * deadline, `windows.reminderSeconds` before it, naming the party who must act
 * and what happens if they do not. The service runs with its default
 * reconciliation period: it must wake itself when a reminder comes due.
 *
 * Every scenario uses windows of seconds and runs concurrently with the
 * others; where a test proves that no reminder came, it waits for a witness —
 * a control escrow with the same timing whose reminder does come — instead of
 * sleeping and hoping.
 */
const api = useLocalService();

// The scenarios are independent and mostly wait on the clock: run them all at once.
vi.setConfig({ maxConcurrency: 20 });
afterAll(() => vi.resetConfig());

const REMINDER = "escrow.deadline_approaching";
const WAIT_MS = 60_000;
const TIMEOUT = { timeout: 120_000 };
const RENTER = "u-renter-rem";
const LANDLORD = "u-landlord-rem";
const CAR_BUYER = "u-car-buyer-rem";
const CAR_SELLER = "u-car-seller-rem";

type Note = { messageId: string; attributes: Record<string, string>; event: any; timestamp: string };

const remindersOf = async (id: string): Promise<Note[]> =>
  (await api.notifications(id)).filter((n) => n.event?.type === REMINDER);

/** Waits until the escrow has had at least `count` reminders; returns them all. */
async function awaitReminders(id: string, count = 1): Promise<Note[]> {
  let seen: Note[] = [];
  return waitFor(
    async () => {
      seen = await remindersOf(id);
      return seen.length >= count && seen;
    },
    {
      timeoutMs: WAIT_MS,
      intervalMs: 100,
      what: `${count} ${REMINDER} event(s) of escrow ${id}`,
      describe: () => JSON.stringify(seen.map((n) => n.event?.reminder)),
    },
  );
}

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
  rentalDeposit({ buyerId: RENTER, sellerId: LANDLORD, ...overrides });

const car = (overrides: Record<string, unknown> = {}) =>
  carDeal({ buyerId: CAR_BUYER, sellerId: CAR_SELLER, ...overrides });

/**
 * The standard scenario: one reminder for the wait `waiting` is in, then the
 * wait ends by itself (`then`: the status and the event it ends with), and
 * no other reminder came.
 */
async function expectOneReminderThenLapse(
  waiting: any,
  expected: { party: string; outcomeIfSilent: string; lead: number },
  then: { status: string; event: string },
) {
  expect(waiting.windows.reminderSeconds).toBe(expected.lead);
  const [note] = await awaitReminders(waiting.id);
  expectReminder(note, waiting, expected);
  await api.waitFor(waiting.id, then.status, WAIT_MS);
  await api.waitForEvents(waiting.id, [REMINDER, then.event], WAIT_MS);
  expect(await remindersOf(waiting.id)).toHaveLength(1);
}

describe.concurrent("a reminder comes once, before the deadline, naming who must act", () => {
  it("goods, delivery wait: the seller, or the buyer is refunded", TIMEOUT, async () => {
    const escrow = await goods({ deliverySeconds: 15, reminderSeconds: 5 });
    await expectOneReminderThenLapse(
      escrow,
      { party: "seller", outcomeIfSilent: "refund", lead: 5 },
      { status: "REFUNDED", event: "escrow.refunded" },
    );
    const types = (await api.notifications(escrow.id)).map((n) => n.event.type);
    expect(types).toEqual(["escrow.funded", REMINDER, "escrow.refunded"]);
  });

  it("goods, confirmation wait: the buyer, or the seller is paid", TIMEOUT, async () => {
    const escrow = await delivered({ confirmationSeconds: 15, reminderSeconds: 5 });
    await expectOneReminderThenLapse(
      escrow,
      { party: "buyer", outcomeIfSilent: "release", lead: 5 },
      { status: "RELEASED", event: "escrow.released" },
    );
  });

  it("goods, refund response: the seller, or the refund is accepted as asked", TIMEOUT, async () => {
    const escrow = await delivered({ sellerResponseSeconds: 15, reminderSeconds: 5 });
    await act(escrow.id, "refund-request", { actorId: BUYER, reason: "not as described" });
    const asked = await api.waitFor(escrow.id, "REFUND_REQUESTED", WAIT_MS);
    await expectOneReminderThenLapse(
      asked,
      { party: "seller", outcomeIfSilent: "accept_refund", lead: 5 },
      { status: "REFUNDED", event: "escrow.refunded" },
    );
  });

  it("goods, dispute: ops, or the buyer is refunded", TIMEOUT, async () => {
    const escrow = await goods({ disputeSeconds: 15, reminderSeconds: 5 });
    await act(escrow.id, "dispute", { actorId: BUYER, reason: "seller unreachable" });
    const disputed = await api.waitFor(escrow.id, "DISPUTED", WAIT_MS);
    await expectOneReminderThenLapse(
      disputed,
      { party: "ops", outcomeIfSilent: "refund", lead: 5 },
      { status: "REFUNDED", event: "escrow.refunded" },
    );
  });

  it("rental, lease end: the renter, or the lease ends as a move-out", TIMEOUT, async () => {
    const escrow = await created(
      deposit({ lease: { startsAt: iso(-DAY), endsAt: iso(20) }, windows: { reminderSeconds: 6 } }),
      "FUNDED",
    );
    expect(escrow.deadline).toBe(escrow.lease.endsAt);
    await expectOneReminderThenLapse(
      escrow,
      { party: "buyer", outcomeIfSilent: "move_out", lead: 6 },
      { status: "MOVED_OUT", event: "escrow.moved_out" },
    );
  });

  it("rental, claim window: the landlord, or the deposit goes back", TIMEOUT, async () => {
    const escrow = await created(deposit({ windows: { claimSeconds: 15, reminderSeconds: 5 } }), "FUNDED");
    await act(escrow.id, "move-out", { actorId: RENTER });
    const moved = await api.waitFor(escrow.id, "MOVED_OUT", WAIT_MS);
    await expectOneReminderThenLapse(
      moved,
      { party: "seller", outcomeIfSilent: "refund", lead: 5 },
      { status: "REFUNDED", event: "escrow.refunded" },
    );
  });

  it("rental, claim response: the renter, or the claim is accepted", TIMEOUT, async () => {
    const escrow = await created(
      deposit({ windows: { claimResponseSeconds: 15, reminderSeconds: 5 } }),
      "FUNDED",
    );
    await act(escrow.id, "move-out", { actorId: LANDLORD });
    await act(escrow.id, "deduction-claim", {
      actorId: LANDLORD,
      items: [{ category: "cleaning", amount: 30000, description: "Deep clean" }],
    });
    const claimed = await api.waitFor(escrow.id, "CLAIMED", WAIT_MS);
    await expectOneReminderThenLapse(
      claimed,
      { party: "buyer", outcomeIfSilent: "accept_claim", lead: 5 },
      { status: "SETTLED", event: "escrow.settled" },
    );
  });

  it(
    "vehicle, inspection of a forfeitable deposit: the buyer, or the deposit is forfeited",
    TIMEOUT,
    async () => {
      const escrow = await created(
        car({ depositForfeitable: true, windows: { inspectionSeconds: 15, reminderSeconds: 5 } }),
        "RESERVED",
      );
      await expectOneReminderThenLapse(
        escrow,
        { party: "buyer", outcomeIfSilent: "forfeit_deposit", lead: 5 },
        { status: "RELEASED", event: "escrow.released" },
      );
    },
  );

  it(
    "vehicle, inspection of a non-forfeitable deposit: the buyer, or the deposit goes back",
    TIMEOUT,
    async () => {
      const escrow = await created(
        car({ windows: { inspectionSeconds: 15, reminderSeconds: 5 } }),
        "RESERVED",
      );
      expect(escrow.depositForfeitable).toBe(false);
      await expectOneReminderThenLapse(
        escrow,
        { party: "buyer", outcomeIfSilent: "refund", lead: 5 },
        { status: "REFUNDED", event: "escrow.refunded" },
      );
    },
  );
});

describe.concurrent("no reminder", () => {
  it("after a wait that ended early (delivered before the reminder's time)", TIMEOUT, async () => {
    const windows = { deliverySeconds: 15, reminderSeconds: 5 };
    const early = await goods(windows);
    const shipped = await act(early.id, "delivery", { actorId: SELLER });
    // Precondition of the scenario: the wait ended before its reminder was due.
    expect(Date.parse(shipped.delivery.deliveredAt)).toBeLessThan(Date.parse(early.deadline) - 5000);
    // The witness: the same wait, started later, left to run.
    const control = await goods(windows);
    expect(Date.parse(control.deadline)).toBeGreaterThan(Date.parse(early.deadline));
    const [note] = await awaitReminders(control.id);
    expectReminder(note, control, { party: "seller", outcomeIfSilent: "refund", lead: 5 });
    await api.waitFor(control.id, "REFUNDED", WAIT_MS);
    expect(await remindersOf(early.id)).toEqual([]);
    expect((await api.get(early.id)).body.status).toBe("DELIVERED");
  });

  it("with reminderSeconds 0", TIMEOUT, async () => {
    const silent = await goods({ deliverySeconds: 12, reminderSeconds: 0 });
    expect(silent.windows.reminderSeconds).toBe(0);
    const control = await goods({ deliverySeconds: 12, reminderSeconds: 5 });
    const [note] = await awaitReminders(control.id);
    expectReminder(note, control, { party: "seller", outcomeIfSilent: "refund", lead: 5 });
    await api.waitFor(silent.id, "REFUNDED", WAIT_MS);
    await api.waitFor(control.id, "REFUNDED", WAIT_MS);
    expect(await remindersOf(silent.id)).toEqual([]);
    expect((await api.notifications(silent.id)).map((n) => n.event.type)).toEqual([
      "escrow.funded",
      "escrow.refunded",
    ]);
  });

  it(
    "for a window shorter than twice the lead (9 s, lead 5 s); exactly twice (10 s) has one",
    TIMEOUT,
    async () => {
      const short = await goods({ deliverySeconds: 9, reminderSeconds: 5 });
      const control = await goods({ deliverySeconds: 10, reminderSeconds: 5 });
      const [note] = await awaitReminders(control.id);
      expectReminder(note, control, { party: "seller", outcomeIfSilent: "refund", lead: 5 });
      await api.waitFor(short.id, "REFUNDED", WAIT_MS);
      await api.waitFor(control.id, "REFUNDED", WAIT_MS);
      expect(await remindersOf(short.id)).toEqual([]);
      expect(await remindersOf(control.id)).toHaveLength(1);
    },
  );
});

describe.concurrent("a deadline that moves gets its own reminder", () => {
  it("an extension before the reminder: only the new deadline is reminded", TIMEOUT, async () => {
    const escrow = await delivered({ confirmationSeconds: 20, reminderSeconds: 5 });
    const extended = await act(escrow.id, "extension", { actorId: BUYER, seconds: 10 });
    // Precondition of the scenario: the extension came before the first deadline's reminder was due.
    expect(Date.now()).toBeLessThan(Date.parse(escrow.deadline) - 5000);
    expect(Date.parse(extended.deadline) - Date.parse(escrow.deadline)).toBe(10_000);
    const [note] = await awaitReminders(escrow.id);
    expectReminder(note, extended, { party: "buyer", outcomeIfSilent: "release", lead: 5 });
    await api.waitFor(escrow.id, "RELEASED", WAIT_MS);
    const types = (await api.waitForEvents(escrow.id, [REMINDER, "escrow.released"], WAIT_MS)).map(
      (n) => n.event.type,
    );
    expect(types).toContain("escrow.extended");
    const reminders = await remindersOf(escrow.id);
    expect(reminders.map((n) => n.event.reminder.deadline)).toEqual([extended.deadline]);
  });

  it("an extension after the reminder: a second reminder carries the new deadline", TIMEOUT, async () => {
    const escrow = await delivered({ confirmationSeconds: 20, reminderSeconds: 8 });
    const [first] = await awaitReminders(escrow.id);
    expectReminder(first, escrow, { party: "buyer", outcomeIfSilent: "release", lead: 8 });
    const extended = await act(escrow.id, "extension", { actorId: BUYER, seconds: 15 });
    expect(extended.status).toBe("DELIVERED");
    expect(Date.parse(extended.deadline) - Date.parse(escrow.deadline)).toBe(15_000);
    const [, second, ...more] = await awaitReminders(escrow.id, 2);
    expect(more).toEqual([]);
    expectReminder(second, extended, { party: "buyer", outcomeIfSilent: "release", lead: 8 });
    expect(second?.event.id).not.toBe(first?.event.id);
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
