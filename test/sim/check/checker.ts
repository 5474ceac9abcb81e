import { executionNames, RESTARTS_PER_VERSION } from "../../../functions/domain/workflow-step";
import type { Op } from "../kernel/ops";
import type { SnsData } from "../ports/events";
import type { ProviderData } from "../ports/provider";
import type { StoreData } from "../ports/store-data";
import type { WorkflowData } from "../ports/workflow";
import { type ApiAnswer, type ApiRequest, readable } from "../wiring";
import { unfoundedEvents } from "./events";
import { moneyViolations } from "./money";
import { StateCache } from "./state-cache";
import { sameDirection, startTracking, TERMINAL, type Tracked, track } from "./transitions";

/**
 * The invariants, checked after every step on what the step changed: every
 * transition legal for its kind, the record's status what the rules say it
 * is, the provider's ledger equal to the record (within what is in flight),
 * money conserved and never negative, no movement key used for two
 * movements, no event id used for two events, at most one running execution
 * per escrow; and at every answer: a 2xx's effect recorded, a 503 that
 * changed nothing, a failed delivery that left its handover code alone.
 */

export interface Violation {
  invariant: string;
  escrowId: string | null;
  step: number;
  at: number;
  detail: string;
}

export interface CheckedWorld {
  tenantId: string;
  store: StoreData;
  provider: ProviderData;
  sns: SnsData;
  workflow: WorkflowData;
  /** The executions the simulation ended from outside (an operator's stop, an AWS limit). */
  endedFromOutside: ReadonlySet<string>;
  step(): number;
  now(): number;
}

export class Checker {
  readonly violations: Violation[] = [];
  private readonly tracked = new Map<string, Tracked>();
  readonly states = new StateCache();
  private keyReuseSeen = 0;
  /** Creations answered 503 (by escrow), and those an answer confirmed (201) or left unknown (502, 504). */
  private readonly refusedCreations = new Map<string, string>();
  private readonly answeredCreations = new Set<string>();
  private idReuseSeen = 0;

  constructor(private readonly w: CheckedWorld) {}

  private readonly seen = new Set<string>();

  /** Records a violation (once per invariant and escrow: a broken escrow stays broken). */
  /**
   * A workflow whose executions were ended from outside at one version more
   * often than the service restarts them there (RESTARTS_PER_VERSION) is for
   * ops: that escalation is the service's rule, not a transient fault's
   * doing.
   */
  private endedAgainAndAgain(escrowId: string, version: number, reason: unknown): boolean {
    if (reason !== "workflow_failing") return false;
    let ended = 0;
    for (let n = 1; n <= RESTARTS_PER_VERSION; n++)
      if (this.w.endedFromOutside.has(executionNames.restart(escrowId, version, n))) ended++;
    return ended === RESTARTS_PER_VERSION;
  }

  fail(invariant: string, escrowId: string | null, detail: string): void {
    const key = `${invariant}|${escrowId ?? detail}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.violations.push({ invariant, escrowId, step: this.w.step(), at: this.w.now(), detail });
  }

  afterStep(): void {
    const sources = [this.w.store.dirty, this.w.provider.dirty, this.w.workflow.dirty, this.w.sns.dirty];
    const dirty = new Set<string>();
    for (const source of sources) {
      for (const id of source) dirty.add(id);
      source.clear();
    }
    for (const id of dirty) this.checkEscrow(id);
    for (const r of this.w.provider.keyReuse.slice(this.keyReuseSeen))
      this.fail("a movement key is used once, for one movement", r.escrowId, r.detail);
    this.keyReuseSeen = this.w.provider.keyReuse.length;
    for (const r of this.w.sns.idReuse.slice(this.idReuseSeen))
      this.fail("an event id names one event", r.escrowId, r.detail);
    this.idReuseSeen = this.w.sns.idReuse.length;
  }

  checkEscrow(escrowId: string): void {
    const record = this.w.store.peek(this.w.tenantId, escrowId);
    if (!record) {
      if (this.w.provider.of(escrowId).length > 0)
        this.fail("money moves only for an escrow that exists", escrowId, "the provider moved money for it");
      return;
    }
    const { terms } = record;
    let t = this.tracked.get(escrowId);
    if (!t) {
      t = startTracking(terms.kind, terms.amount);
      this.tracked.set(escrowId, t);
    }
    const tracked = t;
    const state = this.states.advance(record, (entry, after) => {
      if (entry.v <= tracked.version) return;
      const pending = tracked.pending;
      const why = track(tracked, entry, terms.depositForfeitable);
      if (why) this.fail("every transition is legal for its kind", escrowId, `v${entry.v} ${why}`);
      // Only what no retry can decide goes to ops (API.md v1.2): a refused payout, never a dependency's trouble.
      if (
        entry.type === "escalated" &&
        entry.data.reason !== "payout_rejected" &&
        !this.endedAgainAndAgain(escrowId, entry.v - 1, entry.data.reason)
      )
        this.fail(
          entry.data.reason === "unexpected_step"
            ? "the workflow has a route for every step"
            : "no escrow needs ops after a transient fault",
          escrowId,
          `v${entry.v} escalated (${entry.data.reason}): ${entry.data.detail}`,
        );
      if (pending && (entry.type === "released" || entry.type === "refunded" || entry.type === "settled")) {
        const last = after.disbursements.at(-1);
        if (last && !sameDirection(pending, last.refundedToBuyer, last.paidToSeller + last.platformFee))
          this.fail(
            "an accepted outcome is carried out, not replaced",
            escrowId,
            `v${entry.v} ${entry.type} moved ${JSON.stringify(last)}; the accepted outcome was ${pending.join(" or ")}`,
          );
      }
    });
    if (state.status !== t.status)
      this.fail(
        "every transition is legal for its kind",
        escrowId,
        `the record is ${state.status}; its entries lead to ${t.status}`,
      );
    for (const m of moneyViolations(state, this.w.provider.of(escrowId)))
      this.fail("the provider's ledger equals the record; money is conserved", escrowId, m);
    const running = this.w.workflow.runningFor(escrowId);
    if (running.length > 1)
      this.fail("at most one running execution per escrow", escrowId, `running: ${running.join(", ")}`);
    const unfounded = unfoundedEvents(record.history, this.w.sns.published.get(escrowId) ?? new Set());
    for (const u of unfounded) this.fail("events announce what happened", escrowId, u);
  }

  /** What an answer promises, checked when it is given. */
  onAnswer(request: ApiRequest, answer: ApiAnswer, op: Op, escrowId: string | null): void {
    const lasting = op.effects.filter((e) => !e.startsWith("handover wrong attempt"));
    if (request.routeId === "CreateEscrow" && escrowId) {
      // A creation's record may stay behind a 503, unseen (a retry of its key confirms it): judged at the end.
      if (answer.status === 503) {
        const before = this.refusedCreations.get(escrowId);
        const now = lasting.join("; ");
        this.refusedCreations.set(escrowId, [before, now].filter((x) => x).join("; "));
      }
      if (answer.status === 201 || answer.status === 502 || answer.status === 504)
        this.answeredCreations.add(escrowId);
      // A confirmation that landed unseen and could not be undone: the outcome is unknown, and the
      // answer says so (500, retry with the key) rather than promise nothing changed.
      if (answer.status === 500 && confirmationStands(lasting, escrowId)) {
        this.answeredCreations.add(escrowId);
        return;
      }
    } else if (answer.status === 503 && lasting.length > 0)
      this.fail(
        "a 503 changes nothing",
        escrowId,
        `${request.routeId} answered 503 after: ${lasting.join("; ")}`,
      );
    if (answer.status === 500)
      this.fail(
        "a dependency's failure is a 503, never a 500",
        escrowId,
        `${request.routeId}: ${JSON.stringify(answer.body)}`,
      );
    // API.md v1.2: a delivery that answered 503 or 409 leaves its code valid (a 502 or 504 may have succeeded).
    if (
      request.routeId === "RecordDelivery" &&
      (answer.status === 503 || answer.status === 409 || answer.status === 422) &&
      op.effects.includes("handover code used")
    )
      this.fail(
        "a delivery that failed leaves its handover code valid",
        escrowId,
        `answered ${answer.status} and used up the code`,
      );
    if (answer.status < 200 || answer.status > 299 || !escrowId) return;
    const record = this.w.store.peek(this.w.tenantId, escrowId);
    if (!record) {
      this.fail(
        "a 2xx answer's effect is recorded",
        escrowId,
        `${request.routeId} answered ${answer.status}; no such escrow`,
      );
      return;
    }
    if (request.routeId === "AddEvidence") {
      const id = (answer.body as { id?: string }).id;
      if (!this.w.store.listEvidence(this.w.tenantId, escrowId).some((e) => e.id === id))
        this.fail(
          "a 2xx answer's effect is recorded",
          escrowId,
          `AddEvidence answered 201 with ${id}, not stored`,
        );
      return;
    }
    const version = (answer.body as { version?: number }).version;
    if (
      answer.status === 202 &&
      (typeof version !== "number" || !record.history.some((e) => e.v === version))
    )
      this.fail(
        "a 2xx answer's effect is recorded",
        escrowId,
        `${request.routeId} answered 202 at v${version}, not in the record`,
      );
  }

  /**
   * A creation that answered 503 and that no request with its key confirmed (201) or left unknown (a
   * 502 or 504: it may have succeeded; a 500 after a confirmation that could not be undone) has left nothing behind: nobody can read it, nothing was held for
   * it, no event was published about it.
   */
  checkRefusedCreations(): void {
    for (const [escrowId, effects] of this.refusedCreations) {
      if (this.answeredCreations.has(escrowId)) continue;
      const seen = readable(this.w.store.peek(this.w.tenantId, escrowId));
      const held = this.w.provider.of(escrowId).length;
      const events = this.w.sns.published.get(escrowId)?.size ?? 0;
      if (seen || held > 0 || events > 0)
        this.fail(
          "a 503 changes nothing",
          escrowId,
          `CreateEscrow answered 503 (its requests left: ${effects || "nothing"}) and no retry confirmed it, yet${seen ? " it is readable" : ""}${held ? `, ${held} provider movements` : ""}${events ? `, ${events} events published` : ""}`,
        );
    }
  }

  /** After the run: no terminal status is left, and what a record says it moved, the provider moved. */
  get trackedEscrows(): ReadonlyMap<string, Tracked> {
    return this.tracked;
  }
}

/** Whether a request's writes leave its escrow's creation confirmed: a confirmation not undone after. */
function confirmationStands(effects: string[], escrowId: string): boolean {
  const last = effects.findLastIndex((e) => e === `confirmed ${escrowId}` || e === `unconfirmed ${escrowId}`);
  return last >= 0 && effects[last] === `confirmed ${escrowId}`;
}

export const isTerminalStatus = (s: string) => TERMINAL.includes(s as never);
