// First, on its own: the service's modules capture scrypt when they load.
import "./kernel/determinism";
import { parseArgs } from "node:util";
import { shrink } from "./shrink";
import { runSimulation, type SimResult } from "./sim";

/**
 * `npm run sim -- [--seed N | --seeds A-B] [--steps M] [--escrows K] [--disable knob,…] [--no-shrink]
 *                 [--survey] [--story escrowId]`
 *
 * Runs the deterministic simulation (README, "Deterministic simulation").
 * Without --seed a seed is drawn and printed; a failure prints the seed, the
 * step, the invariant and the story of its escrow, shrunk where it can be,
 * with the command that replays it. --survey goes on past violations and
 * counts them by invariant; --story prints one escrow's story of the run.
 */
const { values } = parseArgs({
  options: {
    seed: { type: "string" },
    seeds: { type: "string" },
    steps: { type: "string", default: "100000" },
    escrows: { type: "string", default: "20" },
    disable: { type: "string", default: "" },
    "no-shrink": { type: "boolean", default: false },
    quiet: { type: "boolean", default: false },
    survey: { type: "boolean", default: false },
    story: { type: "string" },
  },
});

const steps = Number(values.steps);
const escrows = Number(values.escrows);
const disabled = values.disable ? values.disable.split(",").filter(Boolean) : [];
const seeds: number[] = values.seeds
  ? (() => {
      const [a, b] = values.seeds.split("-").map(Number) as [number, number];
      return Array.from({ length: b - a + 1 }, (_, i) => a + i);
    })()
  : [values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31)];

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 19);
const years = (ms: number) => (ms / (365 * 86_400_000)).toFixed(2);

function report(r: SimResult, wallMs: number): void {
  const total = r.steps.chaos + r.steps.liveness;
  console.log(
    `seed ${r.options.seed}: ${r.steps.chaos} steps under faults + ${r.steps.liveness} to heal = ${total} in ${(wallMs / 1000).toFixed(1)} s (${Math.round(total / (wallMs / 1000))} steps/s); virtual ${iso(r.startedAt)} → ${iso(r.endedAt)} (${years(r.endedAt - r.startedAt)} years)`,
  );
  if (!values.quiet) console.log(`  ${JSON.stringify(r.summary)}`);
  console.log(`  digest ${r.digest}`);
}

function replay(r: SimResult): string {
  const off = r.options.disabled?.length ? ` --disable ${r.options.disabled.join(",")}` : "";
  return `npm run sim -- --seed ${r.options.seed} --steps ${r.options.steps} --escrows ${r.options.escrows}${off}`;
}

let failed = 0;
let allSteps = 0;
const began = Date.now();
const survey = new Map<string, { n: number; seeds: Set<number>; example: string }>();
for (const seed of seeds) {
  const t = Date.now();
  const keepGoing = values.survey || values.story ? 10_000 : 1;
  const result = await runSimulation({ seed, steps, escrows, disabled, keepGoing });
  allSteps += result.steps.chaos + result.steps.liveness;
  report(result, Date.now() - t);
  if (values.story) {
    for (const line of result.storyOf(values.story)) console.log(`    ${line}`);
    continue;
  }
  if (values.survey) {
    for (const v of result.violations) {
      const e = survey.get(v.invariant) ?? { n: 0, seeds: new Set<number>(), example: "" };
      e.n++;
      e.seeds.add(seed);
      e.example ||= `seed ${seed} step ${v.step} ${v.escrowId ?? "-"}: ${v.detail}`;
      survey.set(v.invariant, e);
    }
    if (result.violations.length > 0) failed++;
    console.log(`  ${result.violations.length} violations`);
    continue;
  }
  if (!result.violation) continue;
  failed++;
  let shown = result;
  if (!values["no-shrink"]) {
    console.log("  shrinking…");
    shown = await shrink(result, 24, (line) => console.log(line));
  }
  const v = shown.violation ?? result.violation;
  console.log(`\nFAILED  seed ${shown.options.seed}  step ${v.step}  at ${new Date(v.at).toISOString()}`);
  console.log(`  invariant: ${v.invariant}`);
  console.log(`  escrow:    ${v.escrowId ?? "-"}`);
  console.log(`  detail:    ${v.detail}`);
  console.log(`  replay:    ${replay(shown)}`);
  console.log(`  the escrow's story (${shown.story.length} lines):`);
  for (const line of shown.story) console.log(`    ${line}`);
}
for (const [invariant, e] of survey)
  console.log(`${e.n} in ${e.seeds.size} seeds: ${invariant}\n    e.g. ${e.example.slice(0, 500)}`);
if (seeds.length > 1)
  console.log(
    `\n${seeds.length} seeds, ${failed} failed; ${allSteps} steps in ${((Date.now() - began) / 1000).toFixed(1)} s (${Math.round(allSteps / ((Date.now() - began) / 1000))} steps/s)`,
  );
process.exitCode = failed > 0 ? 1 : 0;
