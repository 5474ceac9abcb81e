import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { waitFor } from "../support/wait";

/**
 * README, "Quick start": from a fresh clone, three commands deliver a
 * signature-verified escrow.funded to a local HTTP endpoint. This runs those
 * three commands, as the README shows them, in a fresh copy of the repository
 * (every file a clone of the working tree would hold): `npm ci`, `npm start`,
 * `npm run example`. Only the port differs (a free one, through PORT and
 * ESCROW_URL, as the README explains), and the synthesized template is shared
 * with the other tests (a cache keyed by the sources' fingerprint: the same
 * template a first start would synthesize). Then the packed client installs
 * into an empty project, and `kill <pid of npm start>` stops everything the
 * service ran and frees its port (README, "Stop the service").
 */
const ROOT = new URL("../../", import.meta.url).pathname;
const clone = mkdtempSync(join(tmpdir(), "escrow-fresh-clone-"));
let service: ChildProcess | undefined;

afterAll(() => {
  if (service?.pid && service.exitCode === null && service.signalCode === null)
    process.kill(-service.pid, "SIGKILL");
  // The clone's node_modules takes half a minute to delete: a process of its own does it, unwaited.
  spawn("rm", ["-rf", clone], { detached: true, stdio: "ignore" }).unref();
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

/** The processes running from the clone: the service (its cwd) and its store (the data folder in its command line). */
function processesOf(dir: string): string[] {
  return execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => {
      const pid = line.split(" ")[0] ?? "";
      if (!pid || line.includes(" ps -eo")) return false;
      if (line.includes(dir)) return true;
      try {
        return readlinkSync(`/proc/${pid}/cwd`).startsWith(dir);
      } catch {
        return false;
      }
    });
}

/** Runs a command (in the clone unless told) to its end; its output on failure. */
function run(command: string, args: string[], env: Record<string, string> = {}, cwd = clone) {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("exit", (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(" ")}: ${code}\n${output}`)),
    );
  });
}

it("README's quick start uses $URL and PORT, names /v1/health, shows the ops queue and says how to stop", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const quickStart = readme.slice(readme.indexOf("## Quick start"), readme.indexOf("### For integrators"));
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, as the README shows it
  expect(quickStart).toContain("URL=http://127.0.0.1:${PORT:-3000}");
  // Every call goes to $URL: no address written out but the one that defines it.
  expect(quickStart.match(/127\.0\.0\.1:3000\//g) ?? []).toEqual([]);
  expect(quickStart).toContain("curl -s $URL/v1/health");
  expect(quickStart).toMatch(/curl -s \$URL\/v1\/ops\/escrows -H "Authorization: Bearer \$OPS"/);
  expect(quickStart).toMatch(/\*\*Stop the service\*\* with Ctrl-C[^.]*`kill <pid of npm start>`/);
});

it("README's three commands deliver a signature-verified escrow.funded to a local HTTP endpoint", async () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const quickStart = readme.slice(readme.indexOf("## Quick start"), readme.indexOf("### A rental deposit"));
  for (const command of ["npm ci", "npm start", "npm run example"]) expect(quickStart).toContain(command);

  // A fresh clone's files: the tracked ones and the new ones git does not ignore.
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
    encoding: "utf8",
  })
    .split("\0")
    .filter((f) => f && existsSync(join(ROOT, f)));
  for (const file of files) {
    mkdirSync(dirname(join(clone, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(clone, file));
  }
  expect(existsSync(join(clone, "node_modules"))).toBe(false);

  // 1. npm ci
  await run("npm", ["ci", "--no-audit", "--no-fund", "--prefer-offline"]);

  // 2. npm start (another terminal in the README)
  const port = await freePort();
  let output = "";
  service = spawn("npm", ["start"], {
    cwd: clone,
    detached: true,
    env: {
      ...process.env,
      PORT: String(port),
      ESCROW_LOCAL_TEMPLATE_CACHE: join(tmpdir(), "escrow-e2e-template-cache"),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  service.stdout?.on("data", (d) => (output += d));
  service.stderr?.on("data", (d) => (output += d));
  await waitFor(() => output.includes(`listening on http://127.0.0.1:${port}`), {
    timeoutMs: 120_000,
    what: "npm start to listen",
    describe: () => output,
  });

  // 3. npm run example: its webhook verifies escrow.funded before it prints it.
  const example = await run("npm", ["run", "example"], { ESCROW_URL: `http://127.0.0.1:${port}` });
  expect(example).toMatch(/escrow\.funded: 12999 CNY held for esc_\w+/);
  expect(example).toContain("escrow.released: 12609 CNY paid to the seller");
  expect(example).not.toContain("refused a message");

  // The client is a package a marketplace installs: packed here, installed into an empty project, imported.
  const project = `${clone}-marketplace`;
  mkdirSync(project);
  await run("npm", ["pack", "./client", "--pack-destination", project]);
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "marketplace", private: true, type: "module" }),
  );
  await run(
    "npm",
    ["install", "--no-audit", "--no-fund", "--prefer-offline", "./escrow-client-1.2.0.tgz"],
    {},
    project,
  );
  const imported = await run(
    "node",
    [
      "--input-type=module",
      "-e",
      "import * as c from '@escrow/client'; console.log(Object.keys(c).sort().join(' '))",
    ],
    {},
    project,
  );
  expect(imported.trim().split(" ")).toEqual(
    expect.arrayContaining([
      "createEscrowClient",
      "verifySnsMessage",
      "confirmSubscription",
      "eventOf",
      "clientCredentials",
    ]),
  );
  expect(existsSync(join(project, "node_modules/@escrow/client/dist/index.d.ts"))).toBe(true);
  expect(existsSync(join(project, "node_modules/@escrow/client/README.md"))).toBe(true);
  spawn("rm", ["-rf", project], { detached: true, stdio: "ignore" }).unref();

  // `kill <pid of npm start>` (SIGTERM to npm alone, as a script or a process manager stops it): the service
  // and its store process stop, and the port is free again.
  expect(processesOf(clone).length).toBeGreaterThan(0);
  process.kill(service.pid as number, "SIGTERM");
  await waitFor(async () => !(await portTaken(port)) && processesOf(clone).length === 0, {
    timeoutMs: 20_000,
    what: "the port to be free and the service's processes gone",
    describe: () => `${processesOf(clone).join("\n")}\n${output}`,
  });
  expect(output).toContain("stopping");
}, 300_000);
