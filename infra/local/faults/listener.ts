import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody } from "../http-body";
import { type LocalListener, sendJson, sendMethodNotAllowed, sendProblem, urlOf } from "../local-http";
import type { FaultRule, FaultService } from "./service";
import { parseFaultBody } from "./validation";

/**
 * `/_local/faults` (API.md, "Local mode additions"), no token:
 *
 * - `POST /_local/faults` `{ target, operation?, mode, probability?, seconds }`
 *   → `201 { id, until }`; a malformed body → `400` problem (`validation_error`).
 * - `GET /_local/faults` → `200 { items: [rule…] }`, the rules in force.
 * - `GET /_local/faults/{id}` → `200` rule, or `404` problem.
 * - `DELETE /_local/faults/{id}` → `204`, or `404` problem; `DELETE /_local/faults` → `204`.
 */
export function createFaultsListener(
  faults: FaultService,
  options: {
    path?: string;
    /** Awaited after every change before answering (the DynamoDB rules reach the store process). */
    afterChange?: () => Promise<void>;
  } = {},
): LocalListener {
  const path = options.path ?? "/_local/faults";
  const settle = options.afterChange ?? (async () => {});
  return async (req, res) => {
    const url = urlOf(req);
    if (url.pathname === path || url.pathname === `${path}/`) {
      if (req.method === "POST") await create(faults, req, res, settle);
      else if (req.method === "GET") sendJson(res, 200, { items: faults.list().map(view) });
      else if (req.method === "DELETE") {
        faults.clear();
        await settle();
        res.writeHead(204).end();
      } else sendMethodNotAllowed(res, ["GET", "POST", "DELETE"]);
      return true;
    }
    if (!url.pathname.startsWith(`${path}/`)) return false;
    const id = safeDecode(url.pathname.slice(path.length + 1));
    const rule = faults.get(id);
    if (req.method === "GET" || req.method === "DELETE") {
      if (!rule) sendProblem(res, 404, "not_found", `No fault ${id} is in force.`);
      else if (req.method === "GET") sendJson(res, 200, view(rule));
      else {
        faults.remove(id);
        await settle();
        res.writeHead(204).end();
      }
    } else sendMethodNotAllowed(res, ["GET", "DELETE"]);
    return true;
  };
}

async function create(
  faults: FaultService,
  req: IncomingMessage,
  res: ServerResponse,
  settle: () => Promise<void>,
): Promise<void> {
  let body: unknown;
  try {
    const text = (await readBody(req, 16 * 1024, () => new Error("the body is over 16 KiB"))).toString(
      "utf8",
    );
    body = JSON.parse(text);
  } catch (error) {
    const message = error instanceof SyntaxError ? "not a JSON document" : (error as Error).message;
    sendProblem(res, 400, "validation_error", `The request is invalid: ${message}`, [
      { path: "(body)", message },
    ]);
    return;
  }
  const parsed = parseFaultBody(body);
  if (!parsed.ok) {
    sendProblem(
      res,
      400,
      "validation_error",
      `The request is invalid: ${parsed.errors.map((e) => `${e.path} ${e.message}`).join("; ")}`,
      parsed.errors,
    );
    return;
  }
  const rule = faults.add(parsed.spec);
  await settle();
  sendJson(
    res,
    201,
    { id: rule.id, until: new Date(rule.until).toISOString() },
    { location: `/_local/faults/${rule.id}` },
  );
}

/** A rule as the routes show it (`until` as an ISO 8601 time). */
const view = (rule: FaultRule) => ({ ...rule, until: new Date(rule.until).toISOString() });

const safeDecode = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};
