import { AsyncLocalStorage } from "node:async_hooks";
import { Agent, type ClientRequest } from "node:http";

/**
 * Which function is calling. Every function runs in the one local process
 * and shares the SDK clients its modules create, so neither credentials nor
 * clients can tell callers apart: the local runtime runs each invocation
 * inside `asCaller(functionId, …)` (an AsyncLocalStorage, which follows the
 * handler's promises, timers and SDK retries), and every HTTP request made
 * from inside it carries the caller in the CALLER_HEADER request header,
 * set where Node creates the request (http.Agent's addRequest, which every
 * SDK request goes through) so unmodified handler code needs nothing.
 *
 * A request to one of the local AWS endpoints made outside any invocation
 * (nothing in the runtime does that) is marked UNATTRIBUTED and refused
 * there, so a lost context can never pass for permission. Requests from other
 * processes (tests, the aws CLI, a developer's script) carry no header and
 * are not checked: they stand for an operator, not a function.
 */
export const CALLER_HEADER = "x-escrow-local-caller";
export const UNATTRIBUTED = "?";

const caller = new AsyncLocalStorage<string>();

export function asCaller<T>(principal: string, run: () => T): T {
  return caller.run(principal, run);
}

export function currentCaller(): string | undefined {
  return caller.getStore();
}

/** The caller a request names: undefined when it names none (a call from outside the process). */
export function callerOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  const value = headers[CALLER_HEADER];
  return Array.isArray(value) ? value[0] : value;
}

let guarded = new Set<string>();
let installed = false;

/**
 * Tags every outgoing request with its caller; `endpoints` are the local AWS
 * endpoints (`http://127.0.0.1:<port>`) where a request without one is marked
 * UNATTRIBUTED. Calling it again replaces the endpoints.
 */
export function installCallerHeader(endpoints: readonly string[]): void {
  guarded = new Set(endpoints.map((e) => new URL(e).host));
  if (installed) return;
  installed = true;
  // Not in @types/node, yet the method every ClientRequest calls on its agent, before its headers go out.
  type AddRequest = (this: Agent, req: ClientRequest, ...rest: unknown[]) => void;
  const proto = Agent.prototype as unknown as { addRequest: AddRequest };
  const addRequest = proto.addRequest;
  if (typeof addRequest !== "function") throw new Error("http.Agent has no addRequest: cannot tag callers");
  proto.addRequest = function (this: Agent, req: ClientRequest, ...rest: unknown[]) {
    const who = caller.getStore();
    if (who !== undefined) req.setHeader(CALLER_HEADER, who);
    else if (!req.getHeader(CALLER_HEADER) && guarded.has(`${req.host}:${hostPort(req, rest[0])}`))
      req.setHeader(CALLER_HEADER, UNATTRIBUTED);
    return addRequest.call(this, req, ...rest);
  };
}

function hostPort(req: ClientRequest, options: unknown): string {
  const port = (options as { port?: number | string } | undefined)?.port;
  return String(port ?? (req.protocol === "https:" ? 443 : 80));
}
