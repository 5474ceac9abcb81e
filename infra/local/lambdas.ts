import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { asCaller } from "./iam/caller";
import type { LocalFunction } from "./template";

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

export interface InvocationStats {
  invocations: number;
  errors: number;
  totalMs: number;
  durationsMs: number[];
  initMs: number | null;
}

/**
 * Runs the real handler code of each function in this process, the way the
 * Lambda runtime would: the module is loaded once (its cold start reads and
 * checks its configuration), then every invocation gets a Lambda-shaped
 * context. Durations are recorded for the benchmark.
 */
export class LocalLambdas {
  private readonly modules = new Map<string, Promise<Handler>>();
  readonly stats = new Map<string, InvocationStats>();
  /** Invocations under way now (the moved clock waits for none to be running). */
  inFlight = 0;
  private readonly byLogicalId = new Map<string, LocalFunction>();

  constructor(
    private readonly root: string,
    functions: LocalFunction[],
  ) {
    for (const f of functions) {
      this.byLogicalId.set(f.logicalId, f);
      this.stats.set(f.id, { invocations: 0, errors: 0, totalMs: 0, durationsMs: [], initMs: null });
    }
  }

  functionByLogicalId(id: string): LocalFunction | undefined {
    return this.byLogicalId.get(id);
  }

  private load(fn: LocalFunction): Promise<Handler> {
    let loaded = this.modules.get(fn.id);
    if (!loaded) {
      const started = performance.now();
      // Its cold start runs as the function too (a call made at init is checked against its role).
      loaded = asCaller(fn.id, () => import(pathToFileURL(join(this.root, fn.entry)).href)).then(
        (m: { handler?: Handler }) => {
          if (typeof m.handler !== "function") throw new Error(`${fn.entry} has no exported handler`);
          const s = this.stats.get(fn.id);
          if (s) s.initMs = performance.now() - started;
          return m.handler;
        },
      );
      this.modules.set(fn.id, loaded);
    }
    return loaded;
  }

  /** Loads every handler now (so the first request does not pay for it). */
  async warm(): Promise<void> {
    await Promise.all([...this.byLogicalId.values()].map((f) => this.load(f)));
  }

  async invoke(fn: LocalFunction, event: unknown): Promise<unknown> {
    const handler = await this.load(fn);
    const deadline = Date.now() + fn.timeoutSeconds * 1000;
    const context = {
      functionName: fn.logicalId,
      functionVersion: "$LATEST",
      invokedFunctionArn: fn.arn,
      memoryLimitInMB: String(fn.memoryMb),
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${fn.logicalId}`,
      logStreamName: "local",
      callbackWaitsForEmptyEventLoop: false,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => {},
      fail: () => {},
      succeed: () => {},
    };
    const stats = this.stats.get(fn.id) as InvocationStats;
    const started = performance.now();
    stats.invocations++;
    this.inFlight++;
    try {
      // Every AWS call the handler makes names this function (infra/local/iam/caller.ts).
      return await asCaller(fn.id, () => handler(event, context));
    } catch (error) {
      stats.errors++;
      throw error;
    } finally {
      this.inFlight--;
      const ms = performance.now() - started;
      stats.totalMs += ms;
      if (stats.durationsMs.length < 100_000) stats.durationsMs.push(ms);
    }
  }

  resetStats(): void {
    for (const s of this.stats.values()) {
      s.invocations = 0;
      s.errors = 0;
      s.totalMs = 0;
      s.durationsMs = [];
    }
  }
}
