import { ALLOWED_FROM } from "../../support/api-status-table";
import { carDeal, DAY, isoAt, rentalDeposit } from "../../support/orders";
import type { Answer, CLIENTS } from "../client";
import { order } from "../client";
import { type HistoryItem, type RecordingApi, TERMINAL } from "./checks";
import { BUYER, type EscrowPlan, SELLER, sleep } from "./plan";

/**
 * The campaign's clients, as a careful integrator writes them: each escrow
 * driven along its path from what its record says, every 503, network error
 * or `idempotency_in_progress` retried with the same key and body.
 */

interface Sent {
  answer: Answer;
  retried: boolean;
  /** Every earlier attempt was answered (no network error, so none of them may have landed unseen). */
  allAnswered: boolean;
  /** Earlier attempts answered 503. */
  unavailable: number;
}

export interface RunState {
  api: RecordingApi;
  deadline: number;
  unexplained: string[];
  conflictsAfterRetry: string[];
  /** Requests answered only 503 (never a network error) whose retry was then answered as a replay: a 503 that changed something. */
  landedDespite503: string[];
  log: (line: string) => void;
}

/** A 2xx replay after nothing but 503s means one of those 503s had taken effect (API.md: a 503 changes nothing). */
export function noteReplayAfter503(run: RunState, what: string, sent: Sent) {
  if (
    sent.answer.status < 300 &&
    sent.unavailable > 0 &&
    sent.allAnswered &&
    sent.answer.headers.get("idempotent-replayed") === "true"
  )
    run.landedDespite503.push(`${what}: ${sent.unavailable} × 503, then a replayed ${sent.answer.status}`);
}

/** Sends until the answer is final for a client: retries 5xx, network errors and `idempotency_in_progress`. */
export async function send(run: RunState, what: string, call: () => Promise<Answer>): Promise<Sent> {
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

/** The statuses each action is allowed from (API.md). */
const ALLOWED: Record<string, readonly string[]> = ALLOWED_FROM;

/** The history entries an action records. */
const ENTRY_OF_ACTION: Record<string, string[]> = {
  inspection: ["inspected"],
  "move-out": ["moved_out"],
  "deduction-claim": ["deductions_claimed"],
  "claim-response": ["claim_accepted", "claim_rejected"],
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
  if (plan.path === "vehicle") {
    if (escrow.status === "RESERVED") return step("inspect", "inspection", { actorId: BUYER, accept: true });
    if (escrow.status === "FUNDED")
      return step("deliver", "delivery", { actorId: SELLER, titleTransferRef: `T-${plan.n}` });
    if (escrow.status === "DELIVERED") return step("confirm", "confirmation", { actorId: BUYER });
    return null;
  }
  if (plan.path === "rentalSplit") {
    // A claim of half the deposit, a quarter of it accepted; ops split the contested rest.
    const claim = Math.floor(plan.amount / 2);
    const accepted = Math.floor(claim / 4);
    switch (escrow.status) {
      case "FUNDED":
        return step("moveOut", "move-out", { actorId: BUYER });
      case "MOVED_OUT":
        return step("claim", "deduction-claim", {
          actorId: SELLER,
          items: [
            { category: "cleaning", amount: accepted, description: "Deep clean" },
            { category: "damage", amount: claim - accepted, description: "Sofa" },
          ],
        });
      case "CLAIMED":
        return step("respond", "claim-response", { actorId: BUYER, accept: false, acceptedAmount: accepted });
      case "DISPUTED":
        return step("resolve", "resolution", {
          outcome: "split",
          refundAmount: Math.floor((claim - accepted) / 2),
          note: "half each",
        });
      default:
        return null;
    }
  }
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

export async function readEscrow(run: RunState, id: string): Promise<any> {
  const { answer } = await send(run, `GET ${id}`, () => run.api.get(id));
  if (answer.status !== 200) throw new Error(`GET ${id}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

export async function readHistory(run: RunState, id: string): Promise<HistoryItem[]> {
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

/** The create body of the plan's path: goods, a two-year lease, or a car (a tenth of it as the deposit). */
function createBody(plan: EscrowPlan, now: number): Record<string, unknown> {
  const parties = { buyerId: BUYER, sellerId: SELLER, amount: plan.amount, fee: plan.fee };
  const description = `campaign ${plan.n} (${plan.path})`;
  if (plan.path === "rentalSplit")
    return {
      ...rentalDeposit(parties),
      description,
      lease: { startsAt: isoAt(now, -DAY), endsAt: isoAt(now, 2 * 365 * DAY) },
    };
  if (plan.path === "vehicle")
    return { ...carDeal(parties), deposit: Math.floor(plan.amount / 10), description };
  return order({ ...parties, description, ...(plan.windows ? { windows: plan.windows } : {}) });
}

export async function drive(run: RunState, plan: EscrowPlan, t0: number): Promise<EscrowRun> {
  const result: EscrowRun = { plan, id: null, terminalAt: null, error: null };
  const think = (i: number) => sleep(plan.thinkMs[i % plan.thinkMs.length] as number);
  try {
    await sleep(Math.max(0, t0 + plan.startAtMs - Date.now()));
    const body = createBody(plan, await run.api.now());
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
      const at = await run.api.now(); // the service's clock: the campaign moves it
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
