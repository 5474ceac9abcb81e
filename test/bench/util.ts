import { join } from "node:path";

/** Shared by the bench's parts: where it writes, and the small statistics it reports. */
export const ROOT = new URL("../../", import.meta.url).pathname;
export const OUT = join(ROOT, ".bench");

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
export const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
};
export const round = (x: number, digits = 2) => Number(x.toFixed(digits));
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const log = (line: string) => process.stderr.write(`${line}\n`);

/** One line of the bench's verdict: a figure against its target. */
export type Check = readonly [name: string, value: number | string, target: string, pass: boolean];
