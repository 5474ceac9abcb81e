/** The sandbox payment provider's ledger (ledger.ts) and `/_local/payments` (listener.ts). */
export { type LedgerEntry, type LedgerItem, LocalPaymentLedger, ulid } from "./ledger";
export { createPaymentsListener } from "./listener";
