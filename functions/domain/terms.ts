import type { CreateEscrowInput } from "./create-input";
import { ValidationError } from "./errors";
import type { EscrowTerms, Lease } from "./types";
import { MAX_LEASE_SECONDS, WINDOW_KEYS, withDefaults } from "./windows";

/**
 * The rules of a kind for the terms of a new escrow, beyond the body's shape:
 * which fields and windows the kind has, and a lease that makes sense. Each
 * broken rule is a 400 naming its field.
 */
export function kindTerms(
  input: CreateEscrowInput,
  now: Date,
): Pick<EscrowTerms, "kind" | "windows" | "lease" | "deposit" | "depositForfeitable" | "vehicle"> {
  const kind = input.kind ?? "goods";
  const errors: { path: string; message: string }[] = [];
  for (const key of Object.keys(input.windows ?? {}))
    if (!(WINDOW_KEYS[kind] as readonly string[]).includes(key))
      errors.push({
        path: `windows.${key}`,
        message: `is not a window of kind ${kind} (${WINDOW_KEYS[kind].join(", ")})`,
      });
  let lease: Lease | null = null;
  if (kind === "rental_deposit") {
    if (!input.lease) errors.push({ path: "lease", message: "is required for kind rental_deposit" });
    else {
      lease = { startsAt: input.lease.startsAt, endsAt: input.lease.endsAt };
      errors.push(...leaseEndErrors(lease.endsAt, now, "lease.endsAt"));
      if (Date.parse(lease.endsAt) <= Date.parse(lease.startsAt))
        errors.push({ path: "lease.endsAt", message: "must be after lease.startsAt" });
    }
  } else if (input.lease !== undefined)
    errors.push({ path: "lease", message: `is not a field of kind ${kind}` });
  if (kind === "vehicle") {
    if (input.deposit === undefined)
      errors.push({ path: "deposit", message: "is required for kind vehicle" });
    else if (input.deposit >= input.amount)
      errors.push({
        path: "deposit",
        message: `must be less than amount (${input.amount}): the balance is a second hold`,
      });
    if (!input.vehicle) errors.push({ path: "vehicle", message: "is required for kind vehicle" });
  } else
    for (const field of ["deposit", "depositForfeitable", "vehicle"] as const)
      if (input[field] !== undefined) errors.push({ path: field, message: `is not a field of kind ${kind}` });
  if (errors.length > 0) throw new ValidationError(`The terms do not fit an escrow of kind ${kind}.`, errors);
  const vehicle = kind === "vehicle" && input.vehicle ? input.vehicle : null;
  return {
    kind,
    windows: withDefaults(kind, input.windows),
    lease,
    deposit: kind === "vehicle" ? (input.deposit ?? null) : null,
    depositForfeitable: kind === "vehicle" ? (input.depositForfeitable ?? false) : false,
    vehicle: vehicle ? { vin: vehicle.vin, description: vehicle.description ?? null } : null,
  };
}

/** A lease's end: after now, and at most five years from now (on creation and on renewal). */
export function leaseEndErrors(endsAt: string, now: Date, path: string): { path: string; message: string }[] {
  const end = Date.parse(endsAt);
  if (end <= now.getTime()) return [{ path, message: "must be in the future" }];
  if (end > now.getTime() + MAX_LEASE_SECONDS * 1000)
    return [{ path, message: "must be at most 5 years from now" }];
  return [];
}
