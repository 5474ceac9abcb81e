/**
 * Money and time as ops read them: amounts in major units with their
 * currency (`CNY 129.99`, JPY without decimals), typed in major units too, and
 * the time left to a deadline measured on the service's clock.
 */

/** The currency's minor-unit digits (ISO 4217, as the browser knows them: JPY 0, CNY 2). */
export function digitsOf(currency: string): number {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
      .maximumFractionDigits as number;
  } catch {
    return 2;
  }
}

/** 12999 CNY minor units → `CNY 129.99`; 500 JPY → `JPY 500`. */
export function money(minor: number, currency: string): string {
  const digits = digitsOf(currency);
  const sign = minor < 0 ? "-" : "";
  const units = String(Math.abs(minor)).padStart(digits + 1, "0");
  const whole = digits > 0 ? units.slice(0, -digits) : units;
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${currency} ${sign}${grouped}${digits > 0 ? `.${units.slice(-digits)}` : ""}`;
}

/**
 * What a person types in major units (`40`, `40.5`, `40.00`, `1,040.00`) as
 * minor units, or an error in words: never a float in between.
 */
export function parseMajor(text: string, currency: string): { minor: number } | { error: string } {
  const digits = digitsOf(currency);
  const cleaned = text.trim().replace(/,/g, "");
  const pattern = digits > 0 ? new RegExp(`^(\\d+)(?:\\.(\\d{1,${digits}}))?$`) : /^(\d+)$/;
  const m = pattern.exec(cleaned);
  if (!m)
    return {
      error:
        digits > 0
          ? `Type the amount in ${currency} with at most ${digits} decimals, for example 40.00.`
          : `Type the amount in whole ${currency}, for example 400.`,
    };
  const minor = Number(m[1]) * 10 ** digits + Number((m[2] ?? "").padEnd(digits, "0") || "0");
  if (!Number.isSafeInteger(minor) || minor <= 0) return { error: "The amount must be more than zero." };
  return { minor };
}

/** The time left until `deadline` on the service's clock: `2 d 3 h`, `4 h 10 min`, `overdue`. */
export function timeLeft(deadline: string | null, now: number): string {
  if (!deadline) return "—";
  const seconds = Math.floor((Date.parse(deadline) - now) / 1000);
  if (seconds <= 0) return "overdue";
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  return m > 0 ? `${m} min` : "under a minute";
}

/** An ISO time as a reader's short UTC time: `2026-12-05 10:00 UTC`. */
export const when = (iso: string | null | undefined): string =>
  iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : "—";

/** `not_as_described` → `not as described`. */
export const words = (code: string | null | undefined): string => (code ? code.replaceAll("_", " ") : "—");
