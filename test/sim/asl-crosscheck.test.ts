import "../../infra/local/polyfills";
import { StateMachine } from "aws-local-stepfunctions";
import { describe, expect, it } from "vitest";
import { prepareDefinition, readHidden } from "../../infra/local/step-functions/definition";
import { statesTimeoutErrorClass, UncatchableError } from "../../infra/local/step-functions/errors";
import type { AslDefinition } from "./asl/definition";
import { type AslHost, AslInterpreter } from "./asl/interpreter";
import type { Json, JsonObject } from "./asl/json";
import { loadWorkflow } from "./asl/workflow-file";
import { Random } from "./kernel/random";

/**
 * The simulator runs statemachines/escrow.asl.json on its own interpreter
 * (test/sim/asl). So that the two cannot drift apart, the interpreter and
 * aws-local-stepfunctions (as the local runtime prepares the definition for
 * it) run the same sampled paths: each task invocation gets the same scripted
 * answer in both (an outcome the next Choice routes on or one it does not, a
 * named error, a malformed answer, a timeout), and both must invoke the same
 * tasks with the same parameters and timeouts, in the same order, and end the
 * same way.
 */

type Decision = { kind: "ok"; output: Json } | { kind: "error"; error: string } | { kind: "timeout" };
interface Trace {
  /** The timeout the state's TimeoutSeconds(Path) gave, or null when it gives none (the defaults differ). */
  invocations: { state: string; parameters: Json; timeoutSeconds: number | null }[];
  end: { status: string; output?: Json; error?: string };
}

const MAX_INVOCATIONS = 40;
const PATHS = 300;
const definition = loadWorkflow();

/** The values each Choice routes on, and the names a state's Retry and Catch mention. */
function routesAfter(def: AslDefinition, state: string): string[] {
  const next = def.States[def.States[state]?.Next as string];
  const values =
    next?.Type === "Choice" ? (next.Choices as JsonObject[]).map((c) => String(c.StringEquals)) : [];
  return values.length > 0 ? values : ["funded", "delivered", "release", "refund", "disputed", "parked"];
}
function errorsOf(def: AslDefinition, state: string): string[] {
  const s = def.States[state] as JsonObject;
  const named = [...((s.Retry as JsonObject[]) ?? []), ...((s.Catch as JsonObject[]) ?? [])]
    .flatMap((r) => r.ErrorEquals as string[])
    .filter((e) => !e.startsWith("States."));
  return [...new Set([...named, "Lambda.ServiceException", "Sandbox.Timedout"])];
}

/**
 * The answer to the n-th invocation of a path: a function of the path's seed, n, the state and how many
 * times in a row that state was just invoked (a retried task fails less and less often, so that paths
 * get past a retry-forever policy).
 */
function decide(seed: number, n: number, state: string, callback: boolean, again: number): Decision {
  const r = new Random(seed, `${n}:${state}`);
  const kind = r.weighted({ ok: 70, error: 22 / (1 + 3 * again), timeout: callback ? 15 : 3, malformed: 3 });
  if (kind === "error") return { kind, error: r.pick(errorsOf(definition, state)) };
  // Only a callback task waits long enough to time out; a Lambda that runs too long fails with its own error.
  if (kind === "timeout") return callback ? { kind } : { kind: "error", error: "Sandbox.Timedout" };
  // Outcomes that end the execution at once (a superseded or parked one) less often, so paths go deep.
  const routes = routesAfter(definition, state);
  const going = routes.filter((o) => o !== "superseded" && o !== "parked");
  const outcome = r.chance(0.08)
    ? "no_such_outcome"
    : r.pick(going.length > 0 && r.chance(0.9) ? going : routes);
  const step: JsonObject = {
    outcome,
    version: r.int(1, 30),
    timeoutSeconds: r.pick([1, r.int(1, 9_000_000)]),
  };
  if (kind === "malformed") delete step.timeoutSeconds;
  return { kind: "ok", output: callback ? step : { Payload: step, StatusCode: 200 } };
}

/** A task token differs between engines; everything else must not. */
const hasTimeout = (state: string) =>
  definition.States[state]?.TimeoutSeconds !== undefined ||
  definition.States[state]?.TimeoutSecondsPath !== undefined;

const normalize = (parameters: Json): Json =>
  JSON.parse(JSON.stringify(parameters).replace(/"taskToken":"[^"]*"/g, '"taskToken":"TOKEN"')) as Json;

/** How many invocations of `state` end the trace so far, just before this one (a retry streak). */
function repeats(trace: Trace, state: string): number {
  let k = 0;
  for (let i = trace.invocations.length - 2; i >= 0 && trace.invocations[i]?.state === state; i--) k++;
  return k;
}

function startInput(seed: number): Json {
  const r = new Random(seed, "input");
  const outcome = r.pick([
    "created",
    "funded",
    "delivered",
    "disputed",
    "release",
    "partial",
    "reserved",
    "x",
  ]);
  return {
    tenantId: "t1",
    escrowId: "esc_0123",
    step: { outcome, version: r.int(1, 9), timeoutSeconds: r.int(0, 99) },
  };
}

/** The path as the interpreter runs it, and the state it ended in. */
function runInterpreter(seed: number): [Trace, string] {
  const trace: Trace = { invocations: [], end: { status: "RUNNING" } };
  let now = 0;
  let seq = 0;
  const timers: { at: number; seq: number; fn: () => void; cancelled: boolean }[] = [];
  let interpreter: AslInterpreter | undefined;
  const host: AslHost = {
    now: () => now,
    schedule: (ms, _label, fn) => {
      const t = { at: now + ms, seq: seq++, fn, cancelled: false };
      timers.push(t);
      return {
        cancel: () => {
          t.cancelled = true;
        },
      };
    },
    jitter: () => 0.5,
    transitionDelayMs: () => 0,
    invoke: (task) => {
      const n = trace.invocations.length;
      trace.invocations.push({
        state: task.state,
        parameters: normalize((task.parameters as JsonObject).Payload ?? task.parameters),
        timeoutSeconds: hasTimeout(task.state) ? armedTimeout() : null,
      });
      if (n >= MAX_INVOCATIONS) return;
      const d = decide(seed, n, task.state, task.callback, repeats(trace, task.state));
      if (d.kind === "error") task.finish({ error: d.error, cause: "scripted" });
      else if (d.kind === "ok" && task.callback) interpreter?.sendTaskSuccess(task.token as string, d.output);
      else if (d.kind === "ok") task.finish({ output: d.output });
    },
  };
  // The timeout the interpreter armed for this attempt is the last timer it scheduled before invoking.
  const armedTimeout = () => {
    const t = timers[timers.length - 1];
    return t ? (t.at - now) / 1000 : 0;
  };
  interpreter = new AslInterpreter(definition, host);
  const exec = interpreter.start("path", startInput(seed));
  while (exec.status === "RUNNING" && trace.invocations.length <= MAX_INVOCATIONS) {
    timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const t = timers.shift();
    if (!t) break;
    if (t.cancelled) continue;
    now = t.at;
    t.fn();
  }
  trace.end =
    exec.status === "SUCCEEDED"
      ? { status: "SUCCEEDED", output: exec.output }
      : exec.status === "RUNNING"
        ? { status: "RUNNING" }
        : { status: exec.status, error: exec.error ?? "" };
  return [trace, exec.path.at(-1) ?? ""];
}

async function runEngine(seed: number): Promise<Trace> {
  const trace: Trace = { invocations: [], end: { status: "RUNNING" } };
  const prepared = prepareDefinition(definition as unknown as Record<string, unknown>);
  const TimeoutError = await statesTimeoutErrorClass();
  const handlers: Record<string, (input: Json) => Promise<Json>> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  for (const [state, spec] of prepared.tasks) {
    retryIntervalOverrides[state] = 0;
    handlers[state] = async (effective) => {
      const { params, timeoutSeconds } = readHidden(spec, effective as never);
      const n = trace.invocations.length;
      trace.invocations.push({
        state,
        parameters: normalize((params as JsonObject).Payload ?? params),
        timeoutSeconds: hasTimeout(state) ? timeoutSeconds : null,
      });
      if (n >= MAX_INVOCATIONS) return new Promise<Json>(() => undefined);
      const d = decide(seed, n, state, spec.callback, repeats(trace, state));
      if (d.kind === "ok") return d.output;
      if (d.kind === "timeout") throw new TimeoutError();
      throw Object.assign(new Error("scripted"), { name: d.error });
    };
  }
  const machine = new StateMachine(prepared.engineDefinition as never, {
    validationOptions: { noValidate: true },
  });
  const run = machine.run(startInput(seed) as never, {
    overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides },
    context: { LocalExecution: { Name: "path" }, Task: { Token: "TOKEN" } } as never,
    noThrowOnAbort: true,
  });
  const done = run.result.then(
    (output) => ({ status: "SUCCEEDED", output: output as Json }),
    (error: Error) => {
      const cause = error.cause as Error | undefined;
      return {
        status: "FAILED",
        error: cause instanceof UncatchableError ? cause.name : (cause?.name ?? "?"),
      };
    },
  );
  // Stop a path that goes on past the sample's length (both engines then answer nothing).
  const cut = new Promise<null>((resolve) => {
    const check = setInterval(() => {
      if (trace.invocations.length > MAX_INVOCATIONS) {
        clearInterval(check);
        run.abort();
        resolve(null);
      }
    }, 1);
    void done.then(() => clearInterval(check));
  });
  const end = await Promise.race([done, cut]);
  trace.end = end ?? { status: "RUNNING" };
  return trace;
}

describe("the simulator's ASL interpreter and aws-local-stepfunctions", () => {
  it(`run ${PATHS} sampled paths of escrow.asl.json the same way`, async () => {
    const outcomes = new Map<string, number>();
    const statesSeen = new Set<string>();
    for (let seed = 1; seed <= PATHS; seed++) {
      const [mine, last] = runInterpreter(seed);
      const theirs = await runEngine(seed);
      expect(mine, `path ${seed}`).toEqual(theirs);
      const key = `${mine.end.status} ${mine.end.error ?? ""} in ${last}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      for (const i of mine.invocations) statesSeen.add(i.state);
    }
    // The sample is worth something only if it reaches most of the workflow and ends in several ways.
    const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === "Task");
    expect(statesSeen.size).toBeGreaterThanOrEqual(Math.ceil(tasks.length * 0.8));
    expect([...outcomes.keys()].length).toBeGreaterThanOrEqual(5);
  }, 120_000);

  it("rejects a definition outside the subset it implements", async () => {
    const { loadDefinition } = await import("./asl/definition");
    const text = JSON.stringify({
      StartAt: "P",
      States: { P: { Type: "Parallel", Branches: [], End: true } },
    });
    expect(() => loadDefinition(text, {})).toThrow(/not supported/);
    const unknown = JSON.stringify({
      StartAt: "T",
      States: { T: { Type: "Task", Resource: ["$", "{Nope}"].join(""), End: true } },
    });
    expect(() => loadDefinition(unknown, {})).toThrow(/nothing substitutes/);
  });
});
