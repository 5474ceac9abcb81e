import { createHash } from "node:crypto";
import { PaymentDeclined, type PaymentProvider, PaymentUnavailable } from "../ports/payment-provider";

/**
 * The built-in sandbox of API.md: `pm_sandbox_decline` is declined,
 * `pm_sandbox_unavailable` is an outage, any other `pm_sandbox_…` succeeds.
 */
export const SANDBOX_PREFIX = "pm_sandbox_";

export class SandboxPaymentProvider implements PaymentProvider {
  acceptsPaymentMethod(paymentMethod: string): boolean {
    return paymentMethod.startsWith(SANDBOX_PREFIX) && paymentMethod.length > SANDBOX_PREFIX.length;
  }

  async hold(request: { escrowId: string; paymentMethod: string }): Promise<{ reference: string }> {
    if (request.paymentMethod === "pm_sandbox_decline") throw new PaymentDeclined();
    if (request.paymentMethod === "pm_sandbox_unavailable") throw new PaymentUnavailable();
    const digest = createHash("sha256").update(request.escrowId).digest("hex").slice(0, 24);
    return { reference: `auth_sandbox_${digest}` };
  }

  async settle(): Promise<void> {}
}
