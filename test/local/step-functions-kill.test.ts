import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalStepFunctions } from "../../infra/local/step-functions";
import { callbackDefinition, SM_ARN } from "./fixtures/definitions";
import { fakeCredentials, removeDir, tempDir, waitFor } from "./helpers";

/** A child process running the service on `dir`; yields the JSON lines it prints. */
function child(dir: string): { proc: ChildProcess; next: (key: string) => Promise<string> } {
  const proc = spawn(
    process.execPath,
    ["--import", "tsx", new URL("./fixtures/sfn-child.ts", import.meta.url).pathname, dir],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const seen: Array<Record<string, string>> = [];
  createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    try {
      seen.push(JSON.parse(line));
    } catch {
      // not ours
    }
  });
  return {
    proc,
    next: (key) =>
      waitFor(() => seen.find((o) => key in o)?.[key], { timeoutMs: 20_000, what: `child's ${key}` }),
  };
}

/** A client that does not retry: a request the child did not answer fails. */
const clientOf = (endpoint: string) =>
  new SFNClient({ endpoint, region: "us-east-1", credentials: fakeCredentials, maxAttempts: 1 });

const killed = (proc: ChildProcess) =>
  new Promise<void>((resolve) => {
    proc.once("exit", () => resolve());
    proc.kill("SIGKILL");
  });

let dir: string;
const services: LocalStepFunctions[] = [];
const procs: ChildProcess[] = [];

beforeEach(async () => {
  dir = await tempDir("sfn-kill");
});
afterEach(async () => {
  for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) await killed(p);
  await Promise.all(services.splice(0).map((s) => s.close()));
  await removeDir(dir);
});

function restarted(records: unknown[], published: string[]): LocalStepFunctions {
  const s = new LocalStepFunctions({
    dataDir: dir,
    definition: callbackDefinition,
    stateMachineArn: SM_ARN,
    taskHandlers: {
      prepare: async () => ({ timeoutSeconds: 60 }),
      "begin-wait": async () => {
        throw new Error("the wait's Lambda must not run again after a restart");
      },
      record: async (p) => {
        records.push(p);
        return null;
      },
    },
    snsPublish: async ({ Message }) => {
      published.push(Message);
      return { MessageId: "m" };
    },
    onError: () => {},
  });
  services.push(s);
  return s;
}

describe("LocalStepFunctions under SIGKILL", () => {
  it("loses neither a wait whose token was handed out nor a SendTaskSuccess that was acknowledged", async () => {
    const c = child(dir);
    procs.push(c.proc);
    const sfn = clientOf(await c.next("endpoint"));
    // (a) killed right after the wait's Lambda got its token
    const a = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: SM_ARN, name: "kill-a", input: '{"id":"a"}' }),
    );
    const tokenA = await c.next("token");
    await killed(c.proc);

    const c2 = child(dir);
    procs.push(c2.proc);
    const sfn2 = clientOf(await c2.next("endpoint"));
    // (b) killed right after SendTaskSuccess was acknowledged (the child's Record step hangs)
    await sfn2.send(new SendTaskSuccessCommand({ taskToken: tokenA, output: '{"signal":"A"}' }));
    await killed(c2.proc);

    const records: unknown[] = [];
    const published: string[] = [];
    const s = restarted(records, published);
    await s.resume();
    await waitFor(async () => (await s.describeExecution(a.executionArn as string)).status === "SUCCEEDED");
    // The steps after the wait ran once, with the output the acknowledged SendTaskSuccess carried.
    expect(records).toEqual([expect.objectContaining({ name: "kill-a" })]);
    expect(published).toEqual([JSON.stringify({ signal: "A" })]);
    await expect(s.sendTaskSuccess(tokenA, "{}")).rejects.toMatchObject({ code: "TaskTimedOut" });
  }, 60_000);
});
