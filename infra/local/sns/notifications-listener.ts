import type { IncomingMessage, ServerResponse } from "node:http";
import { sendMethodNotAllowed } from "../local-http";
import type { LocalSns } from "./service";

/**
 * `GET /_local/notifications?escrowId=` (API.md, "Local mode"): the messages
 * published so far, newest last, as `{ items: [{ messageId, attributes, event }] }`.
 * Returns false (without answering) for any other request, so it can sit in
 * front of another handler.
 */
export function createNotificationsListener(
  sns: LocalSns,
  path = "/_local/notifications",
  /** Named topics: `?topic=<name>` picks one, `?topic=all` every topic; the first is the default. */
  topics: Record<string, string> = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://local");
    if (url.pathname !== path) return false;
    if (req.method !== "GET") {
      sendMethodNotAllowed(res, ["GET"]);
      return true;
    }
    const escrowId = url.searchParams.get("escrowId");
    const names = Object.keys(topics);
    const topic = url.searchParams.get("topic") ?? names[0] ?? "all";
    if (topic !== "all" && !(topic in topics)) {
      res
        .writeHead(400, { "content-type": "application/json" })
        .end(JSON.stringify({ message: `topic must be one of ${[...names, "all"].join(", ")}` }));
      return true;
    }
    const topicArn = topic === "all" ? undefined : topics[topic];
    const body = JSON.stringify(
      await sns.list({ ...(escrowId ? { escrowId } : {}), ...(topicArn ? { topicArn } : {}) }),
    );
    res.writeHead(200, {
      "content-type": "application/json",
      "cache-control": "no-store",
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
    return true;
  };
}
