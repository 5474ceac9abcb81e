import { currentSession } from "./auth";

/**
 * The ops routes, called with the signed-in user's token. Every answer's
 * `Date` header tells the service's time: "time left" is measured on it, not
 * on this computer's clock (locally the service's clock can be moved).
 */

export interface Problem {
  status: number;
  code: string;
  title: string;
  detail: string;
  errors?: { path: string; message: string }[];
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title);
    this.name = "ApiError";
  }
}

/** The session ended (expired or refused): the page shows the sign-in again. */
export class SignedOut extends Error {}

let offsetMs = 0;
/** Now, on the service's clock. */
export const serviceNow = (): number => Date.now() + offsetMs;

let root = "/";
/** The API's root path (the console lives at `<root>ops/`). */
export const setApiRoot = (path: string) => {
  root = path;
};

export async function call<T>(
  method: "GET" | "POST",
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ body: T; status: number }> {
  const session = currentSession();
  if (!session) throw new SignedOut();
  const res = await fetch(`${root}${path.replace(/^\//, "")}`, {
    method,
    headers: {
      Authorization: `Bearer ${session.accessToken}`,
      ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const date = res.headers.get("Date");
  if (date && !Number.isNaN(Date.parse(date))) offsetMs = Date.parse(date) - Date.now();
  if (res.status === 401) throw new SignedOut();
  const text = await res.text();
  const parsed = text ? JSON.parse(text) : null;
  if (!res.ok)
    throw new ApiError(
      parsed && typeof parsed === "object"
        ? (parsed as Problem)
        : { status: res.status, code: "error", title: res.statusText, detail: text },
    );
  return { body: parsed as T, status: res.status };
}

/** A fresh Idempotency-Key: a double click, or a retry after a lost answer, acts once. */
export const newKey = () => `ops-console-${crypto.randomUUID()}`;
