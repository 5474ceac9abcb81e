import { createHash } from "node:crypto";
import { createRequire, syncBuiltinESMExports } from "node:module";
import { fileURLToPath } from "node:url";
import type { Random } from "./random";
import type { Scheduler } from "./scheduler";

/**
 * What makes the service's own code deterministic under the simulation,
 * installed when this module is first imported (before the service's modules,
 * which capture `scrypt` when they load) and active only during a run:
 *
 * - `setTimeout`/`clearTimeout` called from the service's code (its backoff
 *   sleeps) go on the virtual clock;
 * - `randomBytes`/`randomInt` called from it (ids, salts, handover codes) draw
 *   from the run's seed;
 * - `scrypt` called from it is a SHA-256 of the same inputs: the handover
 *   code's hash keeps its meaning (same code and salt, same hash) without
 *   85 ms of CPU and a thread pool whose timing no seed controls;
 * - `console.warn` from it goes to the run's trace instead of the terminal.
 *
 * Callers outside `functions/` (the test runner, the SDK) always get the real
 * functions, so the patches cannot disturb anything but the code under test.
 */

const SERVICE_CODE = `${fileURLToPath(new URL("../../../functions/", import.meta.url))}`;
const require = createRequire(import.meta.url);
const crypto = require("node:crypto") as Record<string, unknown>;

export interface Determinism {
  random: Random;
  scheduler: Scheduler;
  warn: (message: string) => void;
}

let active: Determinism | null = null;

/** Whether the function that called the patched one is the service's code. */
function calledByService(): boolean {
  const stack = new Error().stack ?? "";
  // Frames: Error, this function, the patch, then its caller (through promisify: three frames more).
  const lines = stack.split("\n", 9);
  for (let i = 3; i < lines.length; i++) if (lines[i]?.includes(SERVICE_CODE)) return true;
  return false;
}

const real = {
  randomBytes: crypto.randomBytes as (size: number, cb?: unknown) => Buffer,
  randomInt: crypto.randomInt as (...args: unknown[]) => number,
  scrypt: crypto.scrypt as (...args: unknown[]) => void,
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  warn: console.warn,
};

interface VirtualTimer {
  virtual: true;
  cancel(): void;
  ref(): VirtualTimer;
  unref(): VirtualTimer;
  hasRef(): boolean;
}

crypto.randomBytes = (size: number, cb?: unknown) => {
  if (!active || typeof cb === "function" || !calledByService()) return real.randomBytes(size, cb);
  return active.random.bytes(size);
};
crypto.randomInt = (...args: unknown[]) => {
  if (!active || typeof args[args.length - 1] === "function" || !calledByService())
    return real.randomInt(...args);
  const [min, max] = args.length >= 2 ? (args as [number, number]) : [0, args[0] as number];
  return active.random.int(min, max - 1);
};
crypto.scrypt = (...args: unknown[]) => {
  const callback = args[args.length - 1];
  if (!active || typeof callback !== "function" || !calledByService()) return real.scrypt(...args);
  const [password, salt, keylen] = args as [string | Buffer, Buffer, number];
  const out = Buffer.alloc(keylen);
  for (let i = 0, block = 0; i < keylen; block++) {
    const h = createHash("sha256").update(String(block)).update(salt).update(password).digest();
    i += h.copy(out, i);
  }
  (callback as (e: Error | null, key: Buffer) => void)(null, out);
};
syncBuiltinESMExports();

globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...rest: unknown[]) => {
  if (!active || !calledByService()) return real.setTimeout(fn, ms, ...rest);
  const ev = active.scheduler.after(ms ?? 0, "service timer", () => fn(...rest));
  const timer: VirtualTimer = {
    virtual: true,
    cancel: () => {
      ev.cancelled = true;
    },
    ref: () => timer,
    unref: () => timer,
    hasRef: () => true,
  };
  return timer;
}) as typeof setTimeout;
globalThis.clearTimeout = ((handle: unknown) => {
  if (handle && typeof handle === "object" && (handle as Partial<VirtualTimer>).virtual)
    (handle as VirtualTimer).cancel();
  else real.clearTimeout(handle as Parameters<typeof clearTimeout>[0]);
}) as typeof clearTimeout;

console.warn = (...args: unknown[]) => {
  if (active && calledByService()) active.warn(args.map(String).join(" "));
  else real.warn(...args);
};

/** Makes the patches draw from this run until `release` is called. One run at a time. */
export function activate(run: Determinism): () => void {
  if (active) throw new Error("a simulation is already running in this process");
  active = run;
  return () => {
    active = null;
  };
}
