import { z } from "zod";
import { readBody } from "../http-body";
import { type LocalListener, sendJson, sendMethodNotAllowed, sendProblem, urlOf } from "../local-http";
import type { AdvanceHooks, ServiceClock } from "./service-clock";

/** Five years of 365.25 days: the longest single move (API.md: "1 to 5 years"). */
export const MAX_ADVANCE_SECONDS = 5 * 36_525 * 864;

const advanceBody = z.strictObject({
  advanceSeconds: z
    .number({
      error: (issue) => (issue.input === undefined ? "is required" : "must be a whole number of seconds"),
    })
    .int("must be a whole number of seconds")
    .min(1, "must be at least 1 second")
    .max(MAX_ADVANCE_SECONDS, `must be at most ${MAX_ADVANCE_SECONDS} seconds (5 years)`),
});

/**
 * `/_local/clock` (API.md v1.2, "A clock that local users move"), no token:
 *
 * - `GET` → `200 { now, offsetSeconds }`.
 * - `POST { advanceSeconds }` (an integer, 1 s to 5 years) → `200 { now,
 *   offsetSeconds }` once every deadline and mark that the move passed has
 *   fired, in order, and the service has settled; anything else → `400`
 *   problem (`validation_error`), and the clock does not move.
 */
export function createClockListener(
  clock: ServiceClock,
  hooks: AdvanceHooks,
  path = "/_local/clock",
): LocalListener {
  return async (req, res) => {
    if (urlOf(req).pathname !== path) return false;
    if (req.method === "GET") {
      req.resume();
      sendJson(res, 200, clock.view());
      return true;
    }
    if (req.method !== "POST") {
      sendMethodNotAllowed(res, ["GET", "POST"]);
      return true;
    }
    let body: unknown;
    try {
      const text = (await readBody(req, 16 * 1024, () => new Error("the body is over 16 KiB"))).toString();
      body = JSON.parse(text);
    } catch (error) {
      const message = error instanceof SyntaxError ? "not a JSON document" : (error as Error).message;
      sendProblem(res, 400, "validation_error", `The request is invalid: ${message}`, [
        { path: "(body)", message },
      ]);
      return true;
    }
    const parsed = advanceBody.safeParse(body);
    if (!parsed.success) {
      const errors = parsed.error.issues.map((issue) => ({
        path: issue.path.map(String).join(".") || "(body)",
        message:
          issue.code === "unrecognized_keys"
            ? `unknown field(s): ${issue.keys.join(", ")}`
            : issue.path.length === 0
              ? "must be a JSON object with advanceSeconds"
              : issue.message,
      }));
      sendProblem(
        res,
        400,
        "validation_error",
        `The request is invalid: ${errors.map((e) => `${e.path} ${e.message}`).join("; ")}`,
        errors,
      );
      return true;
    }
    const moved = await clock.advance(parsed.data.advanceSeconds, hooks);
    sendJson(res, 200, { now: moved.now, offsetSeconds: moved.offsetSeconds });
    return true;
  };
}
