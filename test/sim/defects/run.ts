import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DEFECTS } from "./catalog";

/**
 * Puts each defect of catalog.ts back, one at a time, and reports the seed
 * and the step at which the simulation catches it: a copy of the code (the
 * repository at HEAD, or --base), this simulation copied into it, the
 * defect's patch applied, then hunt.ts over the seeds. The unpatched code is
 * hunted first: a defect whose violation it already shows is not a fair test
 * of that defect on those seeds (the table says so).
 *
 *   npx tsx test/sim/defects/run.ts [--base dir] [--patches dir] [--seeds 1-6 | --seed-list 5,6] [--steps 17000]
 */
const root = resolve(new URL("../../..", import.meta.url).pathname);
const { values } = parseArgs({
  options: {
    base: { type: "string" },
    patches: { type: "string", default: join(root, "test/sim/defects") },
    seeds: { type: "string", default: "1-6" },
    "seed-list": { type: "string" },
    steps: { type: "string", default: "17000" },
  },
});

function copyOfCode(): string {
  const dir = mkdtempSync(join(tmpdir(), "sim-defect-"));
  if (values.base)
    cpSync(values.base, dir, { recursive: true, filter: (src) => !src.includes("node_modules") });
  else execFileSync("sh", ["-c", `git -C '${root}' archive HEAD | tar -x -C '${dir}'`]);
  rmSync(join(dir, "test/sim"), { recursive: true, force: true });
  cpSync(join(root, "test/sim"), join(dir, "test/sim"), { recursive: true });
  if (!existsSync(join(dir, "node_modules")))
    symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  return dir;
}

interface Caught {
  seed: number;
  step: number;
  stepsSoFar: number;
  detail: string;
}

function hunt(dir: string, only?: string): Map<string, Caught | null> {
  const seeds = values["seed-list"] ? ["--seed-list", values["seed-list"]] : ["--seeds", values.seeds];
  const out = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "test/sim/defects/hunt.ts",
      ...seeds,
      "--steps",
      values.steps,
      ...(only ? ["--only", only] : []),
    ],
    { cwd: dir, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  if (out.status !== 0) throw new Error(`hunt failed in ${dir}: ${out.stderr.slice(-2000)}`);
  const found = new Map<string, Caught | null>();
  for (const line of out.stdout.split("\n").filter((l) => l.startsWith("{"))) {
    const r = JSON.parse(line) as { defect: string; caught: Caught | null };
    found.set(r.defect, r.caught);
  }
  return found;
}

const show = (c: Caught | null | undefined) =>
  c ? `seed ${c.seed}, step ${c.step} (${c.stepsSoFar} steps in all)` : "not caught";

const baseDir = copyOfCode();
const baseline = hunt(baseDir);
rmSync(baseDir, { recursive: true, force: true });
console.log(`seeds ${values["seed-list"] ?? values.seeds}, ${values.steps} steps each under faults\n`);
console.log("| defect | put back | caught at | the code without it |");
console.log("| --- | --- | --- | --- |");
const patches = new Set(readdirSync(values.patches).filter((f) => f.endsWith(".patch")));
for (const d of DEFECTS) {
  const file = `${d.id}.patch`;
  if (!patches.has(file)) {
    console.log(`| ${d.id} | (no patch) | | ${show(baseline.get(d.id))} |`);
    continue;
  }
  const dir = copyOfCode();
  execFileSync("patch", ["-p1", "-s", "-i", join(values.patches, file)], { cwd: dir });
  const caught = hunt(dir, d.id).get(d.id);
  rmSync(dir, { recursive: true, force: true });
  console.log(`| ${d.id} ${d.title} | ${file} | ${show(caught)} | ${show(baseline.get(d.id))} |`);
}
