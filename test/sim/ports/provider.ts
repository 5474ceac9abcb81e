import * as provider from "../../../functions/ports/payment-provider";
import type { Op } from "../kernel/ops";
import type { FaultKind } from "./faults";
import { type PortContext, portCall } from "./port-call";

/**
 * The payment provider: its own ledger of keyed movements (a repeat with a
 * key is recorded once, as the sandbox provider and real providers do), the
 * sandbox's payment methods (`pm_sandbox_decline`, `pm_sandbox_unavailable`),
 * payees whose accounts are closed (a payout to them is refused for good),
 * and every call as made, so that a key used for two different movements is
 * seen even though the provider recorded only the first.
 */

export type MovementType = "hold" | "void" | "payout" | "fee" | "refund";
export interface Movement {
  key: string;
  escrowId: string;
  type: MovementType;
  amount: number;
  at: number;
}

export class ProviderData {
  readonly movements = new Map<string, Movement>();
  private readonly byEscrow = new Map<string, Movement[]>();
  /** Keys used for a second, different movement: "no movement key used twice or with two amounts". */
  readonly keyReuse: { escrowId: string; detail: string }[] = [];
  private readonly firstUse = new Map<string, string>();
  readonly dirty = new Set<string>();
  /** Told of every movement as it lands (the simulation may strike right then). */
  onMovement: ((m: Movement) => void) | null = null;

  constructor(
    private readonly now: () => number,
    /** Payees whose payouts the provider refuses for good. */
    readonly closedPayees: ReadonlySet<string>,
  ) {}

  of(escrowId: string): readonly Movement[] {
    return this.byEscrow.get(escrowId) ?? [];
  }

  private use(key: string, escrowId: string, what: string): void {
    const meaning = `${escrowId} ${what}`;
    const first = this.firstUse.get(key);
    if (first === undefined) this.firstUse.set(key, meaning);
    else if (first !== meaning)
      this.keyReuse.push({ escrowId, detail: `key ${key}: first ${first}, then ${meaning}` });
  }

  private record(m: Omit<Movement, "at">): void {
    if (this.movements.has(m.key)) return;
    const movement = { ...m, at: this.now() };
    this.movements.set(m.key, movement);
    const list = this.byEscrow.get(m.escrowId) ?? [];
    list.push(movement);
    this.byEscrow.set(m.escrowId, list);
    this.dirty.add(m.escrowId);
    this.onMovement?.(movement);
  }

  private readonly voidedHolds = new Set<string>();

  hold(r: provider.HoldRequest): { reference: string } {
    this.use(r.key, r.escrowId, `hold ${r.amount}`);
    if (r.paymentMethod === "pm_sandbox_decline") throw new provider.PaymentDeclined();
    if (r.paymentMethod === "pm_sandbox_unavailable") throw new provider.PaymentUnavailable();
    // As the sandbox: a hold voided is not taken again under its key.
    if (this.voidedHolds.has(r.key))
      throw new provider.PaymentUnavailable("the hold under this key was voided");
    this.record({ key: r.key, escrowId: r.escrowId, type: "hold", amount: r.amount });
    return { reference: `auth_sim_${r.key}` };
  }

  void(r: provider.VoidRequest): void {
    this.use(r.key, r.escrowId, `void of ${r.holdKey}`);
    const hold = this.movements.get(r.holdKey);
    if (hold?.type !== "hold") return;
    this.record({ key: r.key, escrowId: r.escrowId, type: "void", amount: hold.amount });
    this.voidedHolds.add(r.holdKey);
  }

  transfer(r: provider.TransferRequest, payee: string): void {
    this.use(r.key, r.escrowId, `${r.type} ${r.amount}`);
    if (r.amount <= 0) return;
    if (r.type === "payout" && this.closedPayees.has(payee) && !this.movements.has(r.key))
      throw new provider.PayoutRejected("the payee's account is closed");
    this.record({ key: r.key, escrowId: r.escrowId, type: r.type, amount: r.amount });
  }
}

const failure = (kind: FaultKind): Error =>
  new provider.PaymentUnavailable(
    kind === "ambiguous" ? "the provider did not answer in time" : "the provider failed",
  );

/** The PaymentProvider port as one operation sees it. */
export class SimPayments implements provider.PaymentProvider {
  constructor(
    private readonly data: ProviderData,
    private readonly ctx: PortContext,
    private readonly op: Op | null,
    /** Who a payout of an escrow goes to (the provider knows the payee; the request names the escrow). */
    private readonly payeeOf: (escrowId: string) => string,
  ) {}

  acceptsPaymentMethod(paymentMethod: string): boolean {
    return paymentMethod.startsWith("pm_sandbox_") && paymentMethod.length > "pm_sandbox_".length;
  }

  hold(request: provider.HoldRequest) {
    return portCall(this.ctx, this.op, {
      target: "payments",
      operation: "hold",
      write: true,
      effect: () => this.data.hold(request),
      failure,
    });
  }

  void(request: provider.VoidRequest) {
    return portCall(this.ctx, this.op, {
      target: "payments",
      operation: "void",
      write: true,
      effect: () => this.data.void(request),
      failure,
    });
  }

  transfer(request: provider.TransferRequest) {
    return portCall(this.ctx, this.op, {
      target: "payments",
      operation: request.type,
      write: true,
      effect: () => this.data.transfer(request, this.payeeOf(request.escrowId)),
      failure,
    });
  }
}
