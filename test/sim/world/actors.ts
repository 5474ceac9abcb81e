import { fold } from "../../../functions/domain/escrow";
import type { EscrowState } from "../../../functions/domain/types";
import { TERMINAL } from "../check/transitions";
import type { ApiAnswer, ApiRequest } from "../wiring";
import type { Client } from "./client";
import { type Deal, newDeal } from "./deals";
import { chooseMove, type Move, nextActionAt, opsDecision } from "./moves";
import type { World } from "./world";

/**
 * The marketplace's people: a number of deals in progress at once, each with
 * its buyer, seller and ops acting at times drawn around its deadlines, in
 * races with each other (two requests at once, the same request twice), a
 * client that retries a failed request with the same Idempotency-Key (and
 * sometimes reuses a key for another request), and new deals as old ones end.
 */

export class Actors {
  readonly deals: Deal[] = [];
  private next = 0;
  private keys = 0;
  stopped = false;
  readonly stats = { deals: 0, requests: 0, retries: 0, races: 0, jumps: 0 };

  constructor(
    private readonly world: World,
    private readonly client: Client,
    private readonly atOnce: number,
  ) {}

  private get r() {
    return this.world.random.actors;
  }

  /** How often the marketplace makes a deal (its traffic does not depend on our health): drawn per seed. */
  private arrivalMeanMs = 0;

  get active(): number {
    return this.deals.filter((d) => !d.retired).length;
  }

  start(): void {
    this.arrivalMeanMs = this.r.pick([30_000, 300_000, 3_600_000, 6 * 3_600_000]);
    for (let i = 0; i < this.atOnce; i++) this.newDeal(this.r.int(0, 60_000));
    this.arrive();
  }

  /** Deals arrive at the marketplace's pace; one is made when fewer than `atOnce` are in progress. */
  private arrive(): void {
    const wait = Math.max(1, Math.round(-Math.log(1 - this.r.next()) * this.arrivalMeanMs));
    this.at(wait, "a deal arrives", () => {
      if (this.active < this.atOnce) this.newDeal(0);
      this.arrive();
    });
  }

  private at(delayMs: number, label: string, fn: () => void): void {
    this.world.scheduler.after(delayMs, label, () => {
      if (!this.stopped) fn();
    });
  }

  private newDeal(delayMs: number): void {
    const d = newDeal(this.r, this.next++, this.world.now() + delayMs, this.world.swarm.kinds);
    this.deals.push(d);
    this.stats.deals++;
    this.at(delayMs, `deal ${d.n} is made`, () => void this.create(d));
  }

  private state(d: Deal): EscrowState | null {
    const record = d.escrowId ? this.world.store.peek(this.world.tenantId, d.escrowId) : null;
    return record ? fold(record.terms, record.history) : null;
  }

  private async create(d: Deal, attempt = 0): Promise<void> {
    const request: ApiRequest = {
      routeId: "CreateEscrow",
      escrowId: null,
      body: d.createBody,
      idempotencyKey: d.createKey,
    };
    if (attempt === 0 && this.r.chance(0.03)) {
      // The same key for another request: 422, and nothing changes.
      void this.client.send(
        { ...request, body: { ...d.createBody, amount: (d.createBody.amount as number) + 1 } },
        "reuses a key",
      );
    }
    const answer = await this.client.send(
      request,
      attempt === 0 ? "creates" : `retries the creation (${attempt})`,
    );
    if (answer.status === 201) {
      d.escrowId = (answer.body as { id: string }).id;
      this.schedule(d);
    } else if ((answer.status >= 500 || answer.status === 409) && attempt < 8 && this.r.chance(0.9)) {
      this.stats.retries++;
      this.at(backoff(this.r.next(), attempt), `deal ${d.n} retries`, () => void this.create(d, attempt + 1));
    } else this.retire(d);
  }

  private retire(d: Deal): void {
    if (d.retired) return;
    d.retired = true;
  }

  private schedule(d: Deal): void {
    const s = this.state(d);
    const at = nextActionAt(s, this.r, this.world.now());
    if (at - this.world.now() > 86_400_000) this.stats.jumps++;
    this.at(at - this.world.now(), `deal ${d.n} acts`, () => void this.act(d));
  }

  private async act(d: Deal): Promise<void> {
    if (d.retired) return;
    const s = this.state(d);
    if (!s) return this.retire(d);
    if (TERMINAL.includes(s.status)) {
      if (d.strayRequests > 0 || !this.r.chance(0.3)) return this.retire(d);
      d.strayRequests++;
    }
    const bias = this.world.swarm.bias;
    const move = chooseMove(s, d, this.r, this.world.now(), undefined, bias);
    if (this.r.chance(0.12)) {
      // A race: the other party acts at the same moment, or the same request goes out twice.
      this.stats.races++;
      const other = this.r.chance(0.5) ? move : chooseMove(s, d, this.r, this.world.now(), undefined, bias);
      void this.request(d, other, this.keyFor(other), "races");
    }
    await this.request(d, move, this.keyFor(move), move.why);
    this.schedule(d);
  }

  /** Ops at their desk take an escrow from their queue: a resolution (or, for a dispute, a request for evidence). */
  async actAsOps(d: Deal): Promise<void> {
    const s = this.state(d);
    if (!s || d.retired || d.busy) return;
    const routeId = s.attention
      ? opsDecision(s)
      : s.status === "DISPUTED" && this.r.chance(0.25)
        ? "RequestEvidence"
        : "ResolveEscrow";
    const move = chooseMove(s, d, this.r, this.world.now(), routeId);
    d.busy = true;
    await this.request(d, move, this.keyFor(move), `ops desk: ${routeId}`);
    d.busy = false;
  }

  private keyFor(move: Move): string | undefined {
    if (move.routeId === "GetEscrow" || move.routeId === "IssueHandoverCode" || !this.r.chance(0.7))
      return undefined;
    // Now and then a key already used, for this request: 422 (or a replay, when the body matches).
    if (this.keys > 0 && this.r.chance(0.03)) return `k-${this.r.int(1, this.keys)}`;
    return `k-${++this.keys}`;
  }

  private async request(
    d: Deal,
    move: Move,
    key: string | undefined,
    why: string,
    attempt = 0,
  ): Promise<ApiAnswer> {
    this.stats.requests++;
    const request: ApiRequest = {
      routeId: move.routeId,
      escrowId: d.escrowId,
      body: move.body,
      ...(key ? { idempotencyKey: key } : {}),
    };
    const answer = await this.client.send(request, attempt === 0 ? why : `${why}, retry ${attempt}`);
    if (move.routeId === "IssueHandoverCode" && answer.status === 201) {
      d.codes.push({ code: (answer.body as { code: string }).code, at: this.world.now() });
      this.meet(d);
    }
    // A client retries what failed for want of a dependency: with its key, or blindly without one.
    if (
      (answer.status >= 500 || (answer.status === 409 && key && isInProgress(answer))) &&
      attempt < 6 &&
      this.r.chance(0.85)
    ) {
      this.stats.retries++;
      const wait = backoff(this.r.next(), attempt);
      return new Promise((resolve) =>
        this.world.scheduler.after(wait, `deal ${d.n} retries`, () => {
          if (this.stopped) resolve(answer);
          else resolve(this.request(d, move, key, why, attempt + 1));
        }),
      );
    }
    return answer;
  }

  /**
   * The handover meeting: the seller submits the code the buyer's app shows within minutes (sometimes
   * after it expired), while now and then the buyer withdraws at the same moment.
   */
  private meet(d: Deal): void {
    const s = this.state(d);
    if (!s) return;
    this.at(this.r.logUniform(5_000, 20 * 60_000), `deal ${d.n} meets`, () => {
      const now = this.state(d) ?? s;
      const delivery = chooseMove(now, d, this.r, this.world.now(), "RecordDelivery");
      if (this.r.chance(0.25)) {
        this.stats.races++;
        void this.request(
          d,
          chooseMove(now, d, this.r, this.world.now(), "CancelEscrow"),
          this.keyFor(delivery),
          "withdraws at the meeting",
        );
      }
      void this.request(d, delivery, this.keyFor(delivery), "hands over");
    });
  }

  stop(): void {
    this.stopped = true;
  }
}

/** A client's backoff: exponential from a second, capped at ten minutes, with full jitter. */
const backoff = (jitter: number, attempt: number) =>
  Math.max(1_000, Math.round(jitter * Math.min(600_000, 2_000 * 2 ** attempt)));

const isInProgress = (a: ApiAnswer) =>
  (a.body as { code?: string } | null)?.code === "idempotency_in_progress";
