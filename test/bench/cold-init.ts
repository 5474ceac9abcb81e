import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { build } from "esbuild";
import { log, OUT, ROOT } from "./util";

/** The real bundles of the stack (cdk synth) and their cold init against a bundle that only builds the SDK clients. */

export function synthBundles(): { id: string; file: string }[] {
  const outdir = join(OUT, "cdk.out");
  if (!(process.env.BENCH_SKIP_SYNTH === "1" && existsSync(outdir))) {
    log("synthesizing the stack with its real bundles (cdk synth)…");
    rmSync(outdir, { recursive: true, force: true });
    execFileSync("npx", ["cdk", "synth", "--quiet", "--output", outdir], {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "inherit"],
    });
  }
  // Lambda loads index.js as CommonJS; without this, Node would look up the repository's
  // package.json ("type": "module") and try the bundles as ES modules first.
  writeFileSync(join(outdir, "package.json"), '{"type":"commonjs"}\n');
  const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8"));
  const stackArtifact = Object.values<any>(manifest.artifacts).find(
    (a) => a.type === "aws:cloudformation:stack",
  );
  const template = JSON.parse(readFileSync(join(outdir, stackArtifact.properties.templateFile), "utf8"));
  return Object.values<any>(template.Resources)
    .filter((r) => r.Type === "AWS::Lambda::Function" && r.Metadata?.["escrow:functionId"])
    .map((r) => ({
      id: r.Metadata["escrow:functionId"],
      file: join(outdir, r.Metadata["aws:asset:path"], "index.js"),
    }));
}

/** A bundle that only constructs the SDK clients the service's functions construct: the floor of cold init. */
export async function baselineBundle(): Promise<string> {
  const dir = join(OUT, "baseline");
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, "entry.ts");
  writeFileSync(
    entry,
    [
      'import { DynamoDBClient } from "@aws-sdk/client-dynamodb";',
      'import { SFNClient } from "@aws-sdk/client-sfn";',
      "export const dynamo = new DynamoDBClient({});",
      "export const sfn = new SFNClient({});",
      "export const handler = async () => ({});",
      "",
    ].join("\n"),
  );
  const outfile = join(dir, "index.js");
  writeFileSync(join(dir, "package.json"), '{"type":"commonjs"}\n');
  // The same esbuild settings as the functions (infra/constructs/service-function.ts).
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node22",
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ["module", "main"],
    alias: { "@aws-sdk/credential-provider-node": join(ROOT, "infra/constructs/lambda-credentials.ts") },
    nodePaths: [join(ROOT, "node_modules")],
    logLevel: "error",
  });
  return outfile;
}

const INIT_ENV = {
  ...process.env,
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "x",
  AWS_SECRET_ACCESS_KEY: "x",
  TABLE_NAME: "t",
  STATE_MACHINE_ARN: "arn:aws:states:us-east-1:000000000000:stateMachine:x",
  EVENTS_TOPIC_ARN: "arn:aws:sns:us-east-1:000000000000:events",
  OPS_ALERTS_TOPIC_ARN: "arn:aws:sns:us-east-1:000000000000:ops-alerts",
  SUPPORTED_CURRENCIES: "CNY,USD",
  PAYMENT_PROVIDER: "sandbox",
  OPS_CONSOLE_URL: "https://example.com/prod/ops/",
  EXECUTION_CONSOLE_URL: "https://console.example.com/states#/executions/{executionArn}",
  OPS_CONSOLE_CLIENT_ID: "x",
  OPS_AUTH_URL: "https://auth.example.com",
  POWERTOOLS_LOG_LEVEL: "WARN",
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
};

/** Cold init of one bundle: a fresh Node process timing the require of the module (its import-time work included). */
export function initOnce(file: string): number {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  // Lambda runs a bundle from its own folder (the console reads its assets relative to it).
  const r = spawnSync(process.execPath, ["-e", script], {
    env: INIT_ENV,
    encoding: "utf8",
    cwd: dirname(file),
  });
  if (r.status !== 0)
    throw new Error(
      `init of ${file} failed: ${r.stderr
        .split("\n")
        .filter((l) => l.length < 400)
        .join("\n")}`,
    );
  return Number(r.stdout);
}
