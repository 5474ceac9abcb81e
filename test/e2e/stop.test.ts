import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { waitFor } from "../support/wait";
import { BACKEND } from "./server";

/**
 * `kill <pid>` of the `npm start` process (SIGTERM to npm alone, as a process
 * manager or a script stops it) stops the service and its store process: the
 * port is free again and nothing of the service is left running.
 */
const ROOT = new URL("../../", import.meta.url).pathname;
let npm: ChildProcess | undefined;
afterAll(() => {
  // Whatever is left of the group (nothing, when the test passes).
  if (npm?.pid) {
    try {
      process.kill(-npm.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const portTaken = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer()
      .once("error", () => resolve(true))
      .listen(port, "127.0.0.1", () => server.close(() => resolve(false)));
  });

/** The processes whose command line names this data folder (the service and its store). */
const processesOf = (dataDir: string) =>
  execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" })
    .split("\n")
    .filter((line) => line.includes(dataDir) || line.includes(`ESCROW_LOCAL_DATA_DIR=${dataDir}`));

it("stops the service and its store when npm start gets SIGTERM", async () => {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "escrow-stop-"));
  let output = "";
  npm = spawn("npm", ["start"], {
    cwd: ROOT,
    // A process group of its own, so that only npm is signalled below (and the rest can be cleaned up).
    detached: true,
    env: {
      ...process.env,
      PORT: String(port),
      ESCROW_LOCAL_DATA_DIR: dataDir,
      ESCROW_LOCAL_DYNAMODB: BACKEND,
      ESCROW_LOCAL_TEMPLATE_CACHE: join(tmpdir(), "escrow-e2e-template-cache"),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  npm.stdout?.on("data", (d) => (output += d));
  npm.stderr?.on("data", (d) => (output += d));
  await waitFor(() => output.includes(`listening on http://127.0.0.1:${port}`), {
    timeoutMs: 90_000,
    what: "npm start to listen",
    describe: () => output,
  });
  expect((await fetch(`http://127.0.0.1:${port}/v1/health`)).status).toBe(200);
  expect(processesOf(dataDir).length).toBeGreaterThan(0);

  process.kill(npm.pid as number, "SIGTERM");
  await waitFor(async () => !(await portTaken(port)) && processesOf(dataDir).length === 0, {
    timeoutMs: 20_000,
    what: "the port to be free and the service's processes gone",
    describe: () => `${processesOf(dataDir).join("\n")}\n${output}`,
  });
  expect(output).toContain("stopping");
});
