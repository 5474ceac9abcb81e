import type { Server } from "node:http";
import { afterEach, beforeEach } from "vitest";
import { closeServer, listen, removeDir, tempDir } from "./helpers";

/**
 * What the fault suites share: a data directory of each test's own and the
 * servers it opened (closed and removed after it) in a file that calls
 * useFaultsDir(), and a clock that tests move by hand.
 */
export const T0 = Date.parse("2026-11-25T10:00:00.000Z");

export let dir: string;
const closers: Array<() => Promise<unknown>> = [];
export function useFaultsDir(): void {
  beforeEach(async () => {
    dir = await tempDir("faults");
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await removeDir(dir);
  });
}

/** Something to close after the test (in reverse order). */
export function closeAfter(close: () => Promise<unknown>): void {
  closers.push(close);
}

export function clock(start = T0) {
  const c = { t: start, now: () => c.t };
  return c;
}

export async function serve(server: Server): Promise<string> {
  closers.push(() => closeServer(server));
  return listen(server);
}
