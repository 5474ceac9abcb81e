import { SandboxPaymentProvider } from "../adapters/sandbox-payment-provider";
import type { PaymentProvider } from "../ports/payment-provider";
import { loadEnv } from "./config";

const { PAYMENT_PROVIDER } = loadEnv(["PAYMENT_PROVIDER"]);

/** The configured payment provider; only the sandbox exists so far. */
export const payments: PaymentProvider = { sandbox: () => new SandboxPaymentProvider() }[PAYMENT_PROVIDER]();
