import { createHash } from "node:crypto";
import {
  type HoldRequest,
  PaymentDeclined,
  type PaymentProvider,
  PaymentUnavailable,
  PayoutRejected,
  type TransferRequest,
  type VoidRequest,
} from "../ports/payment-provider";
import { type FaultPoint, localHooks, type Movement, movementOf, type SandboxLedger } from "./local-hooks";

/**
 * The built-in sandbox of API.md: `pm_sandbox_decline` is declined,
 * `pm_sandbox_unavailable` is an outage, any other `pm_sandbox_…` succeeds.
 * Every movement is keyed; a repeat with its key is recorded once. Locally it
 * keeps its own ledger (`/_local/payments`) and honours `/_local/faults`
 * (`error`: fails with no effect; `ambiguous`: takes effect, the caller sees
 * a timeout). In AWS it moves nothing.
 */
export const SANDBOX_PREFIX = "pm_sandbox_";
export const VOIDED_HOLD = "the hold under this key was voided; it is not taken again";

export class SandboxPaymentProvider implements PaymentProvider {
  /** Holds this provider has taken, by key (a void only lets go of one that exists). */
  private readonly held = new Map<string, number>();

  constructor(
    private readonly ledger: SandboxLedger | undefined = localHooks().sandboxLedger,
    private readonly faults: FaultPoint | undefined = localHooks().faults,
  ) {}

  acceptsPaymentMethod(paymentMethod: string): boolean {
    return paymentMethod.startsWith(SANDBOX_PREFIX) && paymentMethod.length > SANDBOX_PREFIX.length;
  }

  async hold(request: HoldRequest): Promise<{ reference: string }> {
    if (request.paymentMethod === "pm_sandbox_decline") throw new PaymentDeclined();
    if (request.paymentMethod === "pm_sandbox_unavailable") throw new PaymentUnavailable();
    // A hold let go of (voided after the provider did not answer) is not taken again under its key: a
    // replay of it after the void does not say "held" (the escrow is then cancelled, nothing held).
    if ((await this.heldAmount(request.key)) === 0) throw new PaymentUnavailable(VOIDED_HOLD);
    await this.move("hold", { ...request, type: "hold", amount: request.amount });
    const digest = createHash("sha256").update(request.key).digest("hex").slice(0, 24);
    return { reference: `auth_sandbox_${digest}` };
  }

  async void(request: VoidRequest): Promise<void> {
    // Let go of the hold only if it was ever taken (locally the ledger knows; in AWS nothing was).
    const amount = (await this.heldAmount(request.holdKey)) ?? 0;
    if (amount === 0) return;
    await this.move("void", { ...request, type: "void", amount });
  }

  async transfer(request: TransferRequest): Promise<void> {
    if (request.amount <= 0) return;
    await this.move(request.type, { ...request });
  }

  private async heldAmount(holdKey: string): Promise<number | undefined> {
    return this.held.get(holdKey) ?? this.ledger?.heldAmount?.(holdKey);
  }

  private async move(operation: string, m: Movement): Promise<void> {
    const fault = this.faults?.check("payments", operation) ?? null;
    if (fault === "error") throw new PaymentUnavailable(`injected fault: ${operation} failed`);
    // Refused for good, as a seller's closed account refuses a payout: nothing moves, and no retry helps.
    if (fault === "refused")
      throw operation === "payout"
        ? new PayoutRejected(`injected fault: the provider refused the ${operation} for good`)
        : new PaymentDeclined(`injected fault: the provider refused the ${operation} for good`);
    await this.ledger?.record(movementOf(m));
    if (m.type === "hold") this.held.set(m.key, m.amount);
    if (m.type === "void" && "holdKey" in m) this.held.set(String(m.holdKey), 0);
    if (fault === "ambiguous") throw new PaymentUnavailable(`injected fault: ${operation} timed out`);
  }
}
