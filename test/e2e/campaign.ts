import { waitFor } from "../support/wait";
import { type Answer, Api, type CLIENTS, order } from "./client";

/**
 * The fault campaign (issue #7, item 7), shared by `npm run bench` and the
 * smaller run in `npm test` (test/e2e/fault-campaign.test.ts): escrows along
 * random paths while random faults of every kind come and go, then every
 * fault is cleared, the reconciler does its work, and each escrow's record,
 * the sandbox provider's ledger and the published events are held against
 * each other.
 *
 * Everything random is drawn up front from one seeded PRNG (the paths, their
 * variants, think times, start times and the fault schedule), so a seed
 * replays the same campaign; what the service then does with it depends on
 * timing, as it would in production.
 *
 * The clients behave as a careful integrator does: a 503 (after its
 * Retry-After), a network error or `409 idempotency_in_progress` is retried
 * with the same Idempotency-Key and body; a 409/422 that follows such a retry
 * must be explained by the record (the first attempt landed, or the escrow
 * has moved on), and is counted as `unexplained` otherwise.
 */

// ---------------------------------------------------------------- seeded randomness

/** mulberry32: a small, good-enough PRNG with a 32-bit state. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const between = (rnd: () => number, lo: number, hi: number) => lo + (hi - lo) * rnd();
const intBetween = (rnd: () => number, lo: number, hi: number) => Math.floor(between(rnd, lo, hi + 1));
const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- what the record dictates

export const TERMINAL = new Set(["RELEASED", "REFUNDED", "SETTLED", "CANCELLED"]);
const TERMINAL_ENTRIES = new Set(["released", "refunded", "settled", "cancelled", "payment_failed"]);

/** API.md "Events": the history entries announced to marketplaces, and as what. */
export const EVENT_OF_ENTRY: Record<string, string> = {
  funded: "escrow.funded",
  payment_failed: "escrow.cancelled",
  cancelled: "escrow.cancelled",
  delivered: "escrow.delivered",
  extended: "escrow.extended",
  refund_requested: "escrow.refund_requested",
  disputed: "escrow.disputed",
  refund_rejected: "escrow.disputed",
  released: "escrow.released",
  refunded: "escrow.refunded",
  settled: "escrow.settled",
};

/** The id API.md promises on every delivery of an event: stable per escrow and version. */
export const eventIdOf = (escrowId: string, version: number) => `evt_${escrowId.slice(4)}_${version}`;

export interface HistoryItem {
  at: string;
  type: string;
  actor: string;
  data: Record<string, any>;
  version: number;
}

export interface LedgerItem {
  id: string;
  escrowId: string;
  type: string;
  amount: number;
  key: string;
  at: string;
}

export interface Notification {
  messageId: string;
  attributes: Record<string, string>;
  event: any;
}

/** The events an escrow's history says must have been published: id and type per announced entry. */
export function expectedEvents(escrowId: string, history: HistoryItem[]): { id: string; type: string }[] {
  return history
    .filter((h) => EVENT_OF_ENTRY[h.type])
    .map((h) => ({ id: eventIdOf(escrowId, h.version), type: EVENT_OF_ENTRY[h.type] as string }));
}

/**
 * Holds the published events to the history: every expected event published
 * (`missing` lists those never published), every delivery of one id carrying
 * the same body (`inconsistent`), and nothing published that the history does
 * not announce (`unexpected`).
 */
export function checkEvents(escrowId: string, history: HistoryItem[], notes: Notification[]) {
  const expected = expectedEvents(escrowId, history);
  const bodies = new Map<string, string[]>();
  for (const n of notes) {
    const id = String(n.event?.id);
    bodies.set(id, [...(bodies.get(id) ?? []), JSON.stringify(n.event)]);
  }
  const missing = expected.filter((e) => !bodies.has(e.id)).map((e) => `${e.type} (${e.id})`);
  const inconsistent: string[] = [];
  for (const [id, list] of bodies) if (new Set(list).size > 1) inconsistent.push(id);
  const byId = new Map(expected.map((e) => [e.id, e.type]));
  const unexpected = notes
    .filter(
      (n) =>
        byId.get(n.event?.id) !== n.event?.type ||
        n.attributes?.type !== n.event?.type ||
        n.event?.escrowId !== escrowId,
    )
    .map((n) => `${n.event?.type} (${n.event?.id})`);
  const deliveries = notes.length;
  const most = Math.max(0, ...[...bodies.values()].map((list) => list.length));
  return { expected, missing, inconsistent, unexpected, deliveries, distinct: bodies.size, most };
}

/**
 * Holds the provider's ledger to the record (API.md, local mode): every key
 * once; Σhold − Σvoid − Σpayout − Σfee − Σrefund is what the record still
 * holds (0 in a terminal status, `amount` while funded); payouts, fees and
 * refunds add up to the settlement. Returns the problems found (none: []).
 */
export function checkLedger(escrow: any, ledger: LedgerItem[]): string[] {
  const problems: string[] = [];
  const keys = new Map<string, number>();
  for (const m of ledger) keys.set(m.key, (keys.get(m.key) ?? 0) + 1);
  for (const [key, n] of keys) if (n > 1) problems.push(`key ${key} recorded ${n} times`);
  const sum = (type: string) => ledger.filter((m) => m.type === type).reduce((s, m) => s + m.amount, 0);
  const [hold, release, payout, fee, refund] = ["hold", "void", "payout", "fee", "refund"].map(sum) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const heldAtProvider = hold - release - payout - fee - refund;
  const terminal = TERMINAL.has(escrow.status);
  const recordHeld =
    typeof escrow.held === "number"
      ? escrow.held
      : terminal || escrow.status === "PENDING_FUNDS"
        ? 0
        : escrow.amount;
  if (heldAtProvider !== recordHeld)
    problems.push(`the provider holds ${heldAtProvider}, the record ${recordHeld} (${escrow.status})`);
  const s = escrow.settlement ?? { paidToSeller: 0, platformFee: 0, refundedToBuyer: 0 };
  if (payout !== s.paidToSeller) problems.push(`payouts ${payout} ≠ paidToSeller ${s.paidToSeller}`);
  if (fee !== s.platformFee) problems.push(`fees ${fee} ≠ platformFee ${s.platformFee}`);
  if (refund !== s.refundedToBuyer) problems.push(`refunds ${refund} ≠ refundedToBuyer ${s.refundedToBuyer}`);
  if (escrow.settlement && s.paidToSeller + s.platformFee + s.refundedToBuyer !== escrow.amount)
    problems.push(`the settlement adds up to ${s.paidToSeller + s.platformFee + s.refundedToBuyer}`);
  if (terminal && escrow.status !== "CANCELLED" && !escrow.settlement)
    problems.push(`${escrow.status} without a settlement`);
  return problems;
}

/**
 * The terminal status the record dictates, where the history decides one: the
 * outcome an accepted action or an elapsed window made pending, or the
 * failure of the hold. Null when nothing is decided yet.
 */
export function dictatedStatus(history: HistoryItem[]): string | null {
  if (history.some((h) => h.type === "payment_failed" || h.type === "cancelled")) return "CANCELLED";
  const outcome = [...history].reverse().find((h) => typeof h.data?.outcome === "string")?.data.outcome;
  return outcome === "release"
    ? "RELEASED"
    : outcome === "refund"
      ? "REFUNDED"
      : outcome === "split"
        ? "SETTLED"
        : null;
}

/** Whether a settlement's sums fit its status (RELEASED: nothing back to the buyer, and so on). */
function statusFitsSettlement(escrow: any): boolean {
  const s = escrow.settlement;
  if (!s) return escrow.status === "CANCELLED" || !TERMINAL.has(escrow.status);
  const seller = s.paidToSeller + s.platformFee;
  if (escrow.status === "RELEASED") return s.refundedToBuyer === 0;
  if (escrow.status === "REFUNDED") return seller === 0;
  if (escrow.status === "SETTLED") return s.refundedToBuyer > 0 && seller > 0;
  return false;
}

// ---------------------------------------------------------------- a client that keeps every answer

/** The e2e client, counting the API's answers by status (a 500 is a bug: API.md allows only 2xx or 503 while a dependency fails). */
export class RecordingApi extends Api {
  readonly statuses = new Map<number, number>();
  readonly answers500: string[] = [];
  networkErrors = 0;

  override async call<T = any>(
    method: string,
    path: string,
    options: Parameters<Api["call"]>[2] = {},
  ): Promise<Answer<T>> {
    let answer: Answer<T>;
    try {
      answer = await super.call<T>(method, path, options);
    } catch (error) {
      this.networkErrors++;
      throw error;
    }
    if (!path.startsWith("/v1/")) return answer;
    this.statuses.set(answer.status, (this.statuses.get(answer.status) ?? 0) + 1);
    if (answer.status === 500) this.answers500.push(`${method} ${path}: ${JSON.stringify(answer.body)}`);
    return answer;
  }
}

// ---------------------------------------------------------------- the plan

export const BUYER = "u-camp-buyer";
export const SELLER = "u-camp-seller";

export const PATHS = [
  "happy",
  "cancellation",
  "refundFull",
  "refundPartial",
  "disputeRelease",
  "disputeRefund",
  "disputeSplit",
  "autoRelease",
  "autoRefund",
] as const;
export type PathName = (typeof PATHS)[number];

export interface EscrowPlan {
  n: number;
  path: PathName;
  key: string;
  startAtMs: number;
  amount: number;
  fee: number;
  windows?: Record<string, number>;
  /** Buyer extends the inspection window once (happy: by a minute; autoRelease: by a few seconds). */
  extendSeconds: number | null;
  /** Who cancels or disputes. */
  party: "buyer" | "seller";
  /** disputes: opened directly, or by the seller rejecting a refund request. */
  viaRejectedRefund: boolean;
  refundAmount: number;
  thinkMs: number[];
}

export interface FaultPlan {
  atMs: number;
  spec: {
    target: "stepfunctions" | "sns" | "lambda" | "dynamodb" | "payments";
    operation?: string;
    mode: "error" | "ambiguous";
    probability: number;
    seconds: number;
  };
}

/** Every kind of fault the campaign injects; each is injected at least once. */
export const FAULT_KINDS: FaultPlan["spec"][] = [
  { target: "sns", operation: "Publish", mode: "error", probability: 1, seconds: 1 },
  { target: "stepfunctions", operation: "StartExecution", mode: "error", probability: 1, seconds: 1 },
  { target: "stepfunctions", operation: "SendTaskSuccess", mode: "error", probability: 1, seconds: 1 },
  { target: "stepfunctions", mode: "error", probability: 1, seconds: 1 },
  { target: "lambda", mode: "error", probability: 1, seconds: 1 },
  { target: "dynamodb", mode: "error", probability: 1, seconds: 1 },
  { target: "dynamodb", operation: "UpdateItem", mode: "error", probability: 1, seconds: 1 },
  { target: "dynamodb", operation: "UpdateItem", mode: "ambiguous", probability: 1, seconds: 1 },
  { target: "dynamodb", operation: "PutItem", mode: "ambiguous", probability: 1, seconds: 1 },
  { target: "dynamodb", mode: "ambiguous", probability: 1, seconds: 1 },
  ...(["hold", "payout", "fee", "refund"] as const).flatMap((operation) => [
    { target: "payments" as const, operation, mode: "error" as const, probability: 1, seconds: 1 },
    { target: "payments" as const, operation, mode: "ambiguous" as const, probability: 1, seconds: 1 },
  ]),
];

export interface CampaignOptions {
  seed: number;
  escrows: number;
  /** How long faults come and go; escrows start during the first 60 % of it. */
  faultSeconds: number;
  /** The service's reconciliation period (ESCROW_RECONCILE_SECONDS), for the recovery bound. */
  reconcileSeconds: number;
  /** Faults of every kind last 1 s up to this (default 12 s). */
  maxFaultSeconds?: number;
  /** One long Lambda outage (with probability ≥ 0.8) of this many seconds, so tasks exhaust their retries (0: none). */
  longLambdaSeconds?: number;
  /** How long after the faults are cleared the campaign waits for recovery before counting (default period + 60 + 90 s). */
  recoveryTimeoutSeconds?: number;
  log?: (line: string) => void;
}

export function planCampaign(options: CampaignOptions): { escrows: EscrowPlan[]; faults: FaultPlan[] } {
  const rnd = prng(options.seed);
  const faultMs = options.faultSeconds * 1000;
  const escrows: EscrowPlan[] = [];
  for (let n = 0; n < options.escrows; n++) {
    // Every path at least once when there are enough escrows, then at random.
    const path = n < PATHS.length && options.escrows >= PATHS.length ? PATHS[n] : pick(rnd, PATHS);
    const amount = intBetween(rnd, 1000, 50_000);
    const fee = Math.floor(amount * between(rnd, 0, 0.08));
    const windows: Record<string, number> | undefined =
      path === "autoRelease"
        ? { confirmationSeconds: intBetween(rnd, 3, 8) }
        : path === "autoRefund"
          ? { deliverySeconds: intBetween(rnd, 3, 8) }
          : undefined;
    escrows.push({
      n,
      path: path as PathName,
      key: `campaign-${options.seed}-${n}-${Math.floor(rnd() * 1e9).toString(36)}`,
      startAtMs: Math.floor(between(rnd, 0, faultMs * 0.6)),
      amount,
      fee,
      ...(windows ? { windows } : {}),
      extendSeconds:
        path === "happy" && rnd() < 0.4
          ? 60
          : path === "autoRelease" && rnd() < 0.5
            ? intBetween(rnd, 2, 4)
            : null,
      party: rnd() < 0.5 ? "buyer" : "seller",
      viaRejectedRefund: rnd() < 0.5,
      refundAmount: intBetween(rnd, 1, amount - 1),
      thinkMs: Array.from({ length: 8 }, () => Math.floor(between(rnd, 0, 1500))),
    });
  }
  const faults: FaultPlan[] = [];
  const maxSeconds = options.maxFaultSeconds ?? 12;
  const kinds = [...FAULT_KINDS];
  // Each kind once, in random order, spread over the fault phase; then as many again at random.
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j] as FaultPlan["spec"], kinds[i] as FaultPlan["spec"]];
  }
  const extra = Array.from({ length: kinds.length }, () => pick(rnd, FAULT_KINDS));
  for (const [i, kind] of [...kinds, ...extra].entries()) {
    const slot = faultMs / (kinds.length * 2);
    const seconds = intBetween(rnd, 1, maxSeconds);
    faults.push({
      atMs: Math.min(faultMs - 1000, Math.floor(i * slot + between(rnd, 0, slot))),
      spec: {
        ...kind,
        probability: rnd() < 0.3 ? 1 : Number(between(rnd, 0.2, 1).toFixed(2)),
        seconds: Math.max(1, Math.min(seconds, Math.ceil(options.faultSeconds - (i * slot) / 1000))),
      },
    });
  }
  if (options.longLambdaSeconds) {
    faults.push({
      atMs: Math.floor(between(rnd, 0, Math.max(0, faultMs - options.longLambdaSeconds * 1000))),
      spec: {
        target: "lambda",
        mode: "error",
        probability: Number(between(rnd, 0.8, 1).toFixed(2)),
        seconds: options.longLambdaSeconds,
      },
    });
  }
  faults.sort((a, b) => a.atMs - b.atMs);
  return { escrows, faults };
}

// ---------------------------------------------------------------- the clients

interface Sent {
  answer: Answer;
  retried: boolean;
  /** Every earlier attempt was answered (no network error, so none of them may have landed unseen). */
  allAnswered: boolean;
  /** Earlier attempts answered 503. */
  unavailable: number;
}

interface RunState {
  api: RecordingApi;
  deadline: number;
  unexplained: string[];
  conflictsAfterRetry: string[];
  /** Requests answered only 503 (never a network error) whose retry was then answered as a replay: a 503 that changed something. */
  landedDespite503: string[];
  log: (line: string) => void;
}

/** A 2xx replay after nothing but 503s means one of those 503s had taken effect (API.md: a 503 changes nothing). */
function noteReplayAfter503(run: RunState, what: string, sent: Sent) {
  if (
    sent.answer.status < 300 &&
    sent.unavailable > 0 &&
    sent.allAnswered &&
    sent.answer.headers.get("idempotent-replayed") === "true"
  )
    run.landedDespite503.push(`${what}: ${sent.unavailable} × 503, then a replayed ${sent.answer.status}`);
}

/** Sends until the answer is final for a client: retries 5xx, network errors and `idempotency_in_progress`. */
async function send(run: RunState, what: string, call: () => Promise<Answer>): Promise<Sent> {
  let retried = false;
  let allAnswered = true;
  let unavailable = 0;
  for (let attempt = 0; ; attempt++) {
    let answer: Answer | undefined;
    try {
      answer = await call();
    } catch {
      // a network error: the request may or may not have arrived; retried with the same key
      allAnswered = false;
    }
    const inProgress = answer?.status === 409 && answer.body?.code === "idempotency_in_progress";
    if (answer && answer.status < 500 && !inProgress) return { answer, retried, allAnswered, unavailable };
    if (answer?.status === 503) unavailable++;
    if (Date.now() > run.deadline) throw new Error(`${what}: still ${answer?.status ?? "no answer"}`);
    retried = true;
    const retryAfter = Number(answer?.headers.get("retry-after"));
    const wait = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 5) * 1000 : 500;
    await sleep(wait * (0.5 + Math.random() / 2) + Math.min(attempt, 10) * 50);
  }
}

/** The actions a status allows (API.md, goods). */
const ALLOWED: Record<string, string[]> = {
  delivery: ["FUNDED"],
  cancellation: ["FUNDED"],
  dispute: ["FUNDED", "DELIVERED", "REFUND_REQUESTED"],
  confirmation: ["DELIVERED"],
  extension: ["DELIVERED"],
  "refund-request": ["DELIVERED"],
  "refund-response": ["REFUND_REQUESTED"],
  resolution: ["DISPUTED"],
};

/** The history entries an action records. */
const ENTRY_OF_ACTION: Record<string, string[]> = {
  delivery: ["delivered"],
  cancellation: ["cancellation_requested"],
  dispute: ["disputed"],
  confirmation: ["confirmed"],
  extension: ["extended"],
  "refund-request": ["refund_requested"],
  "refund-response": ["refund_accepted", "refund_rejected"],
  resolution: ["resolution_accepted"],
};

interface Step {
  name: string;
  action: string;
  body: Record<string, unknown>;
  as?: keyof typeof CLIENTS;
}

/** The next action of the escrow's path in its current status, or null to wait. */
function nextStep(plan: EscrowPlan, escrow: any, done: Set<string>): Step | null {
  if (escrow.pendingAction) return null;
  const step = (name: string, action: string, body: Record<string, unknown>): Step | null =>
    done.has(name) ? null : { name, action, body };
  const dispute = plan.path.startsWith("dispute");
  const party = plan.party === "buyer" ? BUYER : SELLER;
  switch (escrow.status) {
    case "FUNDED":
      if (plan.path === "cancellation")
        return step("cancel", "cancellation", { actorId: party, reason: "changed my mind" });
      if (plan.path === "autoRefund") return null;
      if (plan.path === "disputeRefund" && !plan.viaRejectedRefund)
        return step("dispute", "dispute", { actorId: party, reason: "nothing shipped" });
      return step("deliver", "delivery", { actorId: SELLER, carrier: "SF", trackingNumber: `SF${plan.n}` });
    case "DELIVERED":
      if (plan.path === "happy" || plan.path === "autoRelease") {
        if (plan.extendSeconds !== null && !done.has("extend"))
          return step("extend", "extension", { actorId: BUYER, seconds: plan.extendSeconds });
        return plan.path === "happy" ? step("confirm", "confirmation", { actorId: BUYER }) : null;
      }
      if (plan.path === "refundFull")
        return step("request", "refund-request", { actorId: BUYER, reason: "not as described" });
      if (plan.path === "refundPartial")
        return step("request", "refund-request", {
          actorId: BUYER,
          amount: plan.refundAmount,
          reason: "scratches",
        });
      if (dispute && plan.viaRejectedRefund)
        return step("request", "refund-request", { actorId: BUYER, reason: "broken" });
      if (dispute) return step("dispute", "dispute", { actorId: party, reason: "disagreement" });
      return null;
    case "REFUND_REQUESTED":
      return step("respond", "refund-response", {
        actorId: SELLER,
        accept: !dispute,
        ...(dispute ? { note: "it was fine" } : {}),
      });
    case "DISPUTED": {
      const outcome =
        plan.path === "disputeRelease" ? "release" : plan.path === "disputeSplit" ? "split" : "refund";
      return step("resolve", "resolution", {
        outcome,
        ...(outcome === "split" ? { refundAmount: plan.refundAmount } : {}),
        note: "evidence reviewed",
      });
    }
    default:
      return null;
  }
}

export interface EscrowRun {
  plan: EscrowPlan;
  id: string | null;
  /** When the client first saw the escrow in a terminal status (epoch ms). */
  terminalAt: number | null;
  error: string | null;
}

async function readEscrow(run: RunState, id: string): Promise<any> {
  const { answer } = await send(run, `GET ${id}`, () => run.api.get(id));
  if (answer.status !== 200) throw new Error(`GET ${id}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

async function readHistory(run: RunState, id: string): Promise<HistoryItem[]> {
  const { answer } = await send(run, `GET ${id}/events`, () =>
    run.api.call("GET", `/v1/escrows/${id}/events`),
  );
  if (answer.status !== 200) throw new Error(`GET ${id}/events: ${answer.status}`);
  return answer.body.items;
}

/**
 * Why a 409/422 may be right: the action's entry is in the record (an
 * earlier attempt landed), or the escrow is no longer where the action
 * applies (another action, or a window's deadline, came first).
 */
async function explain(run: RunState, id: string, step: Step, at: number): Promise<string | null> {
  const escrow = await readEscrow(run, id);
  const history = await readHistory(run, id);
  if (history.some((h) => ENTRY_OF_ACTION[step.action]?.includes(h.type))) return "landed";
  if (!ALLOWED[step.action]?.includes(escrow.status)) return `status ${escrow.status}`;
  if (escrow.pendingAction) return `pending ${escrow.pendingAction}`;
  if (escrow.deadline && Date.parse(escrow.deadline) <= at) return "deadline passed";
  return null;
}

async function drive(run: RunState, plan: EscrowPlan, t0: number): Promise<EscrowRun> {
  const result: EscrowRun = { plan, id: null, terminalAt: null, error: null };
  const think = (i: number) => sleep(plan.thinkMs[i % plan.thinkMs.length] as number);
  try {
    await sleep(Math.max(0, t0 + plan.startAtMs - Date.now()));
    const body = order({
      buyerId: BUYER,
      sellerId: SELLER,
      amount: plan.amount,
      fee: plan.fee,
      description: `campaign ${plan.n} (${plan.path})`,
      ...(plan.windows ? { windows: plan.windows } : {}),
    });
    const created = await send(run, `create #${plan.n}`, () => run.api.create(body, plan.key));
    noteReplayAfter503(run, `create #${plan.n}`, created);
    if (created.answer.status !== 201) {
      run.unexplained.push(
        `create #${plan.n}: ${created.answer.status} ${JSON.stringify(created.answer.body)}`,
      );
      result.error = `create answered ${created.answer.status}`;
      return result;
    }
    const id = created.answer.body.id as string;
    result.id = id;
    const done = new Set<string>();
    for (let i = 0; ; i++) {
      if (Date.now() > run.deadline) {
        const last = await readEscrow(run, id).catch(() => null);
        result.error = `still not terminal when the campaign stopped waiting: ${last?.status}${last?.pendingAction ? ` (${last.pendingAction} pending)` : ""} at version ${last?.version}`;
        return result;
      }
      const escrow = await readEscrow(run, id);
      if (TERMINAL.has(escrow.status)) {
        result.terminalAt = Date.now();
        return result;
      }
      const step = nextStep(plan, escrow, done);
      if (!step) {
        await sleep(250);
        continue;
      }
      await think(i);
      const sent = await send(run, `${step.action} ${id}`, () =>
        run.api.act(id, step.action, step.body, { key: `${plan.key}-${step.name}` }),
      );
      const { status, body: answerBody } = sent.answer;
      noteReplayAfter503(run, `${step.action} on #${plan.n} ${id}`, sent);
      if (status === 202) {
        done.add(step.name);
        continue;
      }
      const at = Date.now();
      const what = `${step.action} on #${plan.n} ${id} (${plan.path}): ${status} ${answerBody?.code}${sent.retried ? " after a retry" : ""}`;
      if (status === 409 || status === 422) {
        const why = await explain(run, id, step, at);
        if (sent.retried) run.conflictsAfterRetry.push(`${what} — ${why ?? "unexplained"}`);
        if (why === null || (status === 422 && why !== "landed")) {
          run.unexplained.push(`${what}: the record does not explain it`);
          result.error = `${step.action}: ${status}`;
          return result;
        }
        // Landed earlier, or the escrow moved on: the path goes on from where the record is.
        done.add(step.name);
        continue;
      }
      run.unexplained.push(`${what}: ${JSON.stringify(answerBody)}`);
      result.error = `${step.action}: ${status}`;
      return result;
    }
  } catch (error) {
    result.error = (error as Error).message;
    return result;
  }
}

// ---------------------------------------------------------------- the campaign

export interface CampaignFigures {
  seed: number;
  escrows: number;
  stranded: number;
  doubleMoves: number;
  lostEvents: number;
  maxRecoverySeconds: number;
}

export interface CampaignResult extends CampaignFigures {
  /** Seconds from clearing the faults until the last expected event was published. */
  maxEventRecoverySeconds: number;
  /** API answers 500 (never allowed). */
  answers500: number;
  /** 409/422 answers the record does not explain, and other answers a client could not act on. */
  unexplained: number;
  /** Event ids delivered with different bodies, and events the history does not announce. */
  inconsistentEvents: number;
  /** Deliveries beyond the first of each event id (allowed: at least once), and the most of one id. */
  duplicateDeliveries: number;
  maxDeliveriesOfOneEvent: number;
  /** Requests whose 503 had changed something (their retry was answered as a replay). */
  landedDespite503: number;
  faultsInjected: number;
  faultSeconds: number;
  reconcileSeconds: number;
  paths: Record<string, number>;
  outcomes: Record<string, number>;
  answers: Record<string, number>;
  conflictsAfterRetry: string[];
  problems: string[];
}

/**
 * Runs the campaign against a running local service (its reconciler period
 * `reconcileSeconds`): escrows and faults as planned from the seed, then the
 * faults cleared, recovery awaited, and the figures counted.
 */
export async function runCampaign(url: string, options: CampaignOptions): Promise<CampaignResult> {
  const log = options.log ?? (() => {});
  const api = new RecordingApi(url);
  await api.token();
  await api.token("ops");
  const plan = planCampaign(options);
  const recoveryMs =
    (options.recoveryTimeoutSeconds ?? options.reconcileSeconds + 60 + 90) * 1000 +
    options.faultSeconds * 1000;
  const t0 = Date.now();
  const run: RunState = {
    api,
    deadline: t0 + recoveryMs,
    unexplained: [],
    conflictsAfterRetry: [],
    landedDespite503: [],
    log,
  };
  log(
    `fault campaign: seed ${options.seed}, ${plan.escrows.length} escrows, ${plan.faults.length} faults over ${options.faultSeconds} s (reconciler every ${options.reconcileSeconds} s)`,
  );

  // Faults come and go on their schedule; every one is cleared at the end of the phase.
  const injected: string[] = [];
  const faultsDone = (async () => {
    for (const f of plan.faults) {
      await sleep(Math.max(0, t0 + f.atMs - Date.now()));
      await api.injectFault(f.spec);
      injected.push(
        `${((Date.now() - t0) / 1000).toFixed(1)}s ${f.spec.target}${f.spec.operation ? `/${f.spec.operation}` : ""} ${f.spec.mode} p=${f.spec.probability} ${f.spec.seconds}s`,
      );
    }
    await sleep(Math.max(0, t0 + options.faultSeconds * 1000 - Date.now()));
    await api.clearFaults();
    return Date.now();
  })();
  const runs = Promise.all(plan.escrows.map((p) => drive(run, p, t0)));
  const clearedAt = await faultsDone;
  log(`faults cleared at ${((clearedAt - t0) / 1000).toFixed(1)} s; waiting for recovery…`);
  const results = await runs;
  for (const line of injected) log(`  fault ${line}`);

  // Events: wait (within the same bound) until every event the histories announce has been published.
  const ids = results.filter((r) => r.id).map((r) => r.id as string);
  const histories = new Map<string, HistoryItem[]>();
  const missingNow = async () => {
    let missing = 0;
    for (const id of ids) {
      const history = histories.get(id) ?? (await readHistory(run, id));
      // a terminal history no longer changes: keep it
      if (history.some((h) => TERMINAL_ENTRIES.has(h.type))) histories.set(id, history);
      missing += checkEvents(id, history, await api.notifications(id)).missing.length;
    }
    return missing;
  };
  let eventsCompleteAt = Date.now();
  try {
    await waitFor(async () => (await missingNow()) === 0, {
      timeoutMs: Math.max(0, run.deadline - Date.now()),
      intervalMs: 1000,
      what: "every announced event to be published",
    });
    eventsCompleteAt = Date.now();
  } catch {
    eventsCompleteAt = Number.NaN;
  }

  // The figures.
  const problems: string[] = [];
  let stranded = 0;
  let doubleMoves = 0;
  let lostEvents = 0;
  let inconsistentEvents = 0;
  let duplicateDeliveries = 0;
  let maxDeliveriesOfOneEvent = 0;
  const outcomes: Record<string, number> = {};
  const paths: Record<string, number> = {};
  const allKeys = new Map<string, number>();
  for (const m of await api.payments()) allKeys.set(m.key, (allKeys.get(m.key) ?? 0) + 1);
  for (const r of results) {
    paths[r.plan.path] = (paths[r.plan.path] ?? 0) + 1;
    const label = `#${r.plan.n} ${r.id ?? "(not created)"} (${r.plan.path})`;
    if (!r.id) {
      problems.push(`${label}: ${r.error}`);
      continue;
    }
    const escrow = await readEscrow(run, r.id);
    const history = await readHistory(run, r.id);
    outcomes[escrow.status] = (outcomes[escrow.status] ?? 0) + 1;
    const dictated = dictatedStatus(history);
    const strandedWhy = !TERMINAL.has(escrow.status)
      ? `still ${escrow.status}${escrow.pendingAction ? ` with ${escrow.pendingAction} pending` : ""}${escrow.needsOpsAttention ? ` needing ops (${escrow.attentionReason})` : ""}${r.error ? `; client: ${r.error}` : ""}`
      : dictated !== null && dictated !== escrow.status
        ? `${escrow.status} although the record dictates ${dictated}`
        : !statusFitsSettlement(escrow)
          ? `${escrow.status} with settlement ${JSON.stringify(escrow.settlement)}`
          : null;
    if (strandedWhy) {
      stranded++;
      problems.push(`${label} stranded: ${strandedWhy}`);
    }
    const ledger = await api.payments(r.id);
    const moves = checkLedger(escrow, ledger);
    if (moves.length > 0) {
      doubleMoves++;
      problems.push(`${label} money: ${moves.join("; ")}`);
    }
    const events = checkEvents(r.id, history, await api.notifications(r.id));
    lostEvents += events.missing.length;
    if (events.missing.length) problems.push(`${label} events never published: ${events.missing.join(", ")}`);
    inconsistentEvents += events.inconsistent.length + events.unexpected.length;
    if (events.inconsistent.length)
      problems.push(`${label} one id, different bodies: ${events.inconsistent.join(", ")}`);
    if (events.unexpected.length)
      problems.push(`${label} events the history does not announce: ${events.unexpected.join(", ")}`);
    duplicateDeliveries += events.deliveries - events.distinct;
    maxDeliveriesOfOneEvent = Math.max(maxDeliveriesOfOneEvent, events.most);
  }
  const repeatedKeys = [...allKeys].filter(([, n]) => n > 1);
  if (repeatedKeys.length) problems.push(`ledger keys repeated: ${repeatedKeys.map(([k]) => k).join(", ")}`);
  const lastTerminal = Math.max(clearedAt, ...results.map((r) => r.terminalAt ?? Number.POSITIVE_INFINITY));
  const answers = Object.fromEntries([...api.statuses].sort(([a], [b]) => a - b).map(([s, n]) => [s, n]));
  for (const line of api.answers500) problems.push(`500: ${line}`);
  for (const line of run.unexplained) problems.push(`unexplained: ${line}`);
  for (const line of run.landedDespite503) problems.push(`a 503 that changed something: ${line}`);
  for (const r of results)
    if (r.id && r.terminalAt === null)
      problems.push(`#${r.plan.n} ${r.id} (${r.plan.path}) late: ${r.error}`);
  return {
    seed: options.seed,
    escrows: plan.escrows.length,
    stranded,
    doubleMoves,
    lostEvents,
    maxRecoverySeconds: Number.isFinite(lastTerminal)
      ? Math.round((lastTerminal - clearedAt) / 100) / 10
      : Number.NaN,
    maxEventRecoverySeconds: Number.isFinite(eventsCompleteAt)
      ? Math.round((Math.max(eventsCompleteAt, clearedAt) - clearedAt) / 100) / 10
      : Number.NaN,
    answers500: api.answers500.length,
    unexplained: run.unexplained.length,
    inconsistentEvents,
    duplicateDeliveries,
    maxDeliveriesOfOneEvent,
    landedDespite503: run.landedDespite503.length,
    faultsInjected: injected.length,
    faultSeconds: options.faultSeconds,
    reconcileSeconds: options.reconcileSeconds,
    paths,
    outcomes,
    answers,
    conflictsAfterRetry: run.conflictsAfterRetry,
    problems,
  };
}
