import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { IamMode, Refusal } from "../iam/local-iam";
import type { IamModel } from "../iam/model";
import type { DynamoFaultRule } from "./faults";
import type { MeterReading } from "./meter";
import type { StoreProcessOptions } from "./store-process";

export interface StoreProcess {
  /** The store itself (the admin client, the TTL sweeper, the seeding and the benchmark's raw ceiling). */
  endpoint: string;
  /** The metering proxy in front of it: the functions' endpoint, where DynamoDB faults are injected. */
  meterEndpoint: string;
  meter(): Promise<MeterReading>;
  resetMeter(): Promise<void>;
  /** Replaces the DynamoDB faults the proxy applies. */
  setFaults(rules: DynamoFaultRule[]): Promise<void>;
  /** The stack's policies, enforced on the functions' calls by the proxy (infra/local/iam). */
  setIam(model: IamModel, mode: IamMode): Promise<void>;
  /** The calls the proxy refused. */
  iamRefusals(): Promise<Refusal[]>;
  close(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL("./store-process.ts", import.meta.url));

/** Starts store-process.ts in a child process (through tsx, from `cwd`) and waits for its endpoints. */
export async function startStoreProcess(options: StoreProcessOptions, cwd: string): Promise<StoreProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", ENTRY, JSON.stringify(options)], {
    cwd,
    env: process.env,
    stdio: ["pipe", "pipe", "inherit"],
  });
  const ready = await new Promise<{ endpoint: string; meterEndpoint: string }>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d;
      const line = out.split("\n")[0];
      if (out.includes("\n") && line) {
        try {
          resolve(JSON.parse(line));
        } catch (error) {
          reject(error);
        }
      }
    });
    child.once("exit", (code) => reject(new Error(`the local DynamoDB process exited with ${code}`)));
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${ready.meterEndpoint}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    return res.json() as Promise<unknown>;
  };
  let closed: Promise<void> | undefined;
  return {
    ...ready,
    meter: () => call("GET", "/__meter") as Promise<MeterReading>,
    resetMeter: async () => {
      await call("DELETE", "/__meter");
    },
    setFaults: async (rules) => {
      await call("PUT", "/__faults", { rules });
    },
    setIam: async (model, mode) => {
      await call("PUT", "/__iam", { model, mode });
    },
    iamRefusals: async () => ((await call("GET", "/__iam")) as { refusals: Refusal[] }).refusals,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.stdin?.end(); // the child stops when its stdin closes
      })),
  };
}
