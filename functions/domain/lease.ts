import { MAX_LEASE_SECONDS } from "./durations";

/** A lease's end: after now, and at most five years from now (on creation and on renewal). */
export function leaseEndErrors(endsAt: string, now: Date, path: string): { path: string; message: string }[] {
  const end = Date.parse(endsAt);
  if (end <= now.getTime()) return [{ path, message: "must be in the future" }];
  if (end > now.getTime() + MAX_LEASE_SECONDS * 1000)
    return [{ path, message: "must be at most 5 years from now" }];
  return [];
}
