import type { IncomingMessage, ServerResponse } from "node:http";
import { type LocalListener, sendJson, sendMethodNotAllowed, urlOf } from "../local-http";
import type { LocalSns } from "./service";

/**
 * `GET /_local/deliveries?escrowId=` (API.md v1.2, "For integrators"): every
 * attempt to deliver a message to an HTTP(S) subscriber, oldest first, as
 * `{ items: [{ endpoint, status, attempt, at, outcome, … }] }`; `?escrowId=`
 * keeps an escrow's events, `?subscriptionArn=` a subscription's messages.
 */
export function createDeliveriesListener(sns: LocalSns, path = "/_local/deliveries"): LocalListener {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const url = urlOf(req);
    if (url.pathname !== path) return false;
    if (req.method !== "GET") {
      sendMethodNotAllowed(res, ["GET"]);
      return true;
    }
    const escrowId = url.searchParams.get("escrowId") ?? undefined;
    const subscriptionArn = url.searchParams.get("subscriptionArn") ?? undefined;
    const items = await sns.deliveryAttempts({
      ...(escrowId ? { escrowId } : {}),
      ...(subscriptionArn ? { subscriptionArn } : {}),
    });
    sendJson(res, 200, { items });
    return true;
  };
}
