import { runSimulation, type SimResult } from "./sim";
import type { SimOptions } from "./world/world";

/**
 * A failure, made smaller: the same seed run again with fewer deals at once
 * and with fault knobs turned off one at a time (each outage, each fault
 * rate, the execution chaos), keeping every change under which the same
 * invariant still fails, and the earliest such failure. The result replays
 * with the options it prints.
 */
export async function shrink(
  failed: SimResult,
  knobs: readonly string[],
  budget = 24,
  log: (line: string) => void = () => undefined,
): Promise<SimResult> {
  const invariant = failed.violation?.invariant;
  if (!invariant) return failed;
  let best = failed;
  let tries = 0;
  const attempt = async (options: SimOptions): Promise<boolean> => {
    if (tries++ >= budget) return false;
    const r = await runSimulation(options);
    const kept = r.violation?.invariant === invariant;
    log(
      `  shrink ${tries}: escrows ${options.escrows}, off: ${(options.disabled ?? []).join(",") || "-"} → ${kept ? `fails at step ${r.violation?.step}` : "passes"}`,
    );
    if (kept) best = r;
    return kept;
  };
  const stepsOf = (r: SimResult) => (r.violation ? r.violation.step + 1 : r.options.steps);
  for (const escrows of [1, 2, 4, 8].filter((k) => k < best.options.escrows))
    if (await attempt({ ...best.options, escrows, steps: stepsOf(best) })) break;
  for (const knob of knobs) {
    if (tries >= budget) break;
    const disabled = [...(best.options.disabled ?? []), knob];
    await attempt({ ...best.options, disabled, steps: stepsOf(best) });
  }
  return best;
}
