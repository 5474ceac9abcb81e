import { defineConfig } from "vitest/config";
import SlowFirst from "./support/slow-first.ts";

export default defineConfig({
  test: {
    root: ".",
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Both cores (vitest's default on two is one worker): an end-to-end file's service runs in processes of
    // its own, so two files at once keep both cores busy.
    maxWorkers: 2,
    // The slowest files first, also on a fresh clone where vitest has no timings (test/support/slow-first.ts).
    sequence: { sequencer: SlowFirst },
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});
