import { randomUUID } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The calls a run exercised, for the least-privilege report: one JSON line
 * per distinct (principal, action, resource) a process saw, allowed or
 * refused, appended to a file of its own under the directory
 * ESCROW_LOCAL_IAM_RECORD_DIR names (the end-to-end suites set it; `.ci/run`
 * reads it back). Written synchronously, so a service killed with SIGKILL
 * (the restart tests do) loses nothing it had recorded.
 */
export const RECORD_DIR_ENV = "ESCROW_LOCAL_IAM_RECORD_DIR";

export interface CallRecord {
  /** A function's id, StateMachine, or a service principal (`apigateway.amazonaws.com`). */
  principal: string;
  action: string;
  resource: string;
  allowed: boolean;
  /** For a refusal: AWS's message. */
  message?: string;
}

export class CallRecorder {
  private readonly file: string;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, `${process.pid}-${randomUUID()}.ndjson`);
  }

  record(call: CallRecord): void {
    appendFileSync(this.file, `${JSON.stringify(call)}\n`);
  }
}

/** A recorder when the environment asks for one (an empty value: none). */
export function recorderFromEnv(env: NodeJS.ProcessEnv = process.env): CallRecorder | undefined {
  const dir = env[RECORD_DIR_ENV];
  return dir ? new CallRecorder(dir) : undefined;
}

/** Every call recorded under `dir` (all runs, all processes). */
export function readCallRecords(dir: string): CallRecord[] {
  if (!existsSync(dir)) return [];
  const calls: CallRecord[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith(".ndjson")) continue;
    for (const line of readFileSync(join(dir, name), "utf8").split("\n")) {
      if (!line.trim()) continue;
      try {
        calls.push(JSON.parse(line) as CallRecord);
      } catch {
        // a line cut short by a killed process: the rest of the file still counts
      }
    }
  }
  return calls;
}
