import { runSimulation, type SimResult } from "./sim";
import type { SimOptions } from "./world/world";

/**
 * A failure, made smaller: the same seed run again with fewer deals at once,
 * then with the run's fault knobs (each outage, each fault rate, the
 * execution chaos, the strikes after money moves) turned off — all at once,
 * then by halves, then one at a time — keeping every change under which the
 * same invariant still fails, and the earliest such failure. The result
 * replays with the options it prints.
 */
export async function shrink(
  failed: SimResult,
  budget = 24,
  log: (line: string) => void = () => undefined,
): Promise<SimResult> {
  const invariant = failed.violation?.invariant;
  if (!invariant) return failed;
  let best = failed;
  let tries = 0;
  const stepsOf = (r: SimResult) => (r.violation ? r.violation.step + 1 : r.options.steps);
  const attempt = async (change: Partial<SimOptions>, what: string): Promise<boolean> => {
    if (tries++ >= budget) return false;
    const options = { ...best.options, ...change, steps: stepsOf(best) };
    const r = await runSimulation(options);
    const kept = r.violation?.invariant === invariant;
    log(`  shrink ${tries}: ${what} → ${kept ? `fails at step ${r.violation?.step}` : "passes"}`);
    if (kept) best = r;
    return kept;
  };
  for (const escrows of [1, 2, 4, 8].filter((k) => k < best.options.escrows))
    if (await attempt({ escrows }, `${escrows} deals at once`)) break;
  const off = (knobs: readonly string[]) => ({
    disabled: [...new Set([...(best.options.disabled ?? []), ...knobs])],
  });
  let pending = [...best.knobs];
  if (pending.length > 0 && (await attempt(off(pending), "every fault off"))) return best;
  while (pending.length > 1 && tries < budget) {
    const half = pending.slice(0, Math.ceil(pending.length / 2));
    if (await attempt(off(half), `off: ${half.join(",")}`))
      pending = pending.filter((k) => !half.includes(k));
    else break;
  }
  for (const knob of pending) {
    if (tries >= budget) break;
    await attempt(off([knob]), `off: ${knob}`);
  }
  return best;
}
