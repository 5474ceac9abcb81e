// First, on its own: the service's modules capture scrypt when they load.
import "../kernel/determinism";
import { parseArgs } from "node:util";
import { runSimulation } from "../sim";
import { DEFECTS } from "./catalog";

/**
 * Runs seeds in order (surveying: a run goes on past a violation) until each
 * defect asked for is seen, and prints, per defect, the seed and the step at
 * which it was first caught — the step counted from the first seed's start,
 * so it is the simulation's whole cost of finding it. One JSON line a defect.
 *
 *   npx tsx test/sim/defects/hunt.ts --seeds 1-6 --steps 17000 [--only 16.5] [--seed-list 5,6,8]
 */
const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: "1-6" },
    "seed-list": { type: "string" },
    steps: { type: "string", default: "17000" },
    escrows: { type: "string", default: "20" },
    only: { type: "string" },
  },
});
const [a, b] = (values.seeds as string).split("-").map(Number) as [number, number];
const seeds = values["seed-list"]
  ? values["seed-list"].split(",").map(Number)
  : Array.from({ length: (b ?? a) - a + 1 }, (_, i) => a + i);
const wanted = DEFECTS.filter((d) => !values.only || values.only.split(",").includes(d.id));
const found = new Map<
  string,
  { seed: number; step: number; stepsSoFar: number; escrowId: string | null; detail: string }
>();
let before = 0;
for (const seed of seeds) {
  if (found.size >= wanted.length) break;
  const r = await runSimulation({
    seed,
    steps: Number(values.steps),
    escrows: Number(values.escrows),
    keepGoing: 100_000,
  });
  for (const d of wanted) {
    if (found.has(d.id)) continue;
    const v = r.violations.find((x) =>
      d.caughtBy.some((c) => x.invariant === c.invariant && (!c.detail || c.detail.test(x.detail))),
    );
    if (v)
      found.set(d.id, {
        seed,
        step: v.step,
        stepsSoFar: before + v.step,
        escrowId: v.escrowId,
        detail: v.detail,
      });
  }
  before += r.steps.chaos + r.steps.liveness;
}
for (const d of wanted) {
  const f = found.get(d.id);
  console.log(JSON.stringify({ defect: d.id, title: d.title, caught: f ?? null, stepsRun: before }));
}
