import { type LocalListener, sendJson, sendMethodNotAllowed, urlOf } from "../local-http";
import type { LocalPaymentLedger } from "./ledger";

/**
 * `GET /_local/payments?escrowId=` (API.md, "Local mode additions"), no
 * token: the sandbox provider's ledger, `{ items: [{ id, escrowId, type,
 * amount, key, at }] }` oldest first; every escrow's without `escrowId`.
 */
export function createPaymentsListener(ledger: LocalPaymentLedger, path = "/_local/payments"): LocalListener {
  return async (req, res) => {
    const url = urlOf(req);
    if (url.pathname !== path) return false;
    if (req.method !== "GET") {
      sendMethodNotAllowed(res, ["GET"]);
      return true;
    }
    const escrowId = url.searchParams.get("escrowId");
    sendJson(res, 200, await ledger.list(escrowId ? { escrowId } : {}));
    return true;
  };
}
