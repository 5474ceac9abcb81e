import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The files that take longest (seconds each on this machine; most run a
 * service of their own on a real clock), longest first. Vitest orders files it
 * has timed before longest first, but a fresh clone (CI) has no timings and it
 * then starts the largest files first: the fault campaign, a short file of a
 * minute, would start last and finish alone on one core. Files named here run
 * first, in this order; the rest as vitest orders them.
 */
export const SLOW_FILES = [
  "test/e2e/fault-campaign.test.ts",
  "test/e2e/faults.test.ts",
  "test/e2e/restart.test.ts",
  "test/e2e/lifecycle.test.ts",
  "test/app/write-outcome.test.ts",
  "test/e2e/faults-recovery.test.ts",
  "test/e2e/reminders.test.ts",
  "test/e2e/iam.test.ts",
  "test/e2e/rental.test.ts",
  "test/browser/ops-console.test.ts",
];

export default class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const i = SLOW_FILES.indexOf(relative(spec.project.config.root, spec.moduleId).replaceAll("\\", "/"));
      return i === -1 ? SLOW_FILES.length : i;
    };
    // Array.prototype.sort is stable: the rest keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
