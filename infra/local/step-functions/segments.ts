import "../polyfills";
import { StateMachine } from "aws-local-stepfunctions";
import { appendStateEntered } from "./history";
import type { Live, Runtime, Segment } from "./runtime";
import { runTask } from "./tasks";
import type { JsonValue } from "./types";

/**
 * Engine runs. An execution is run by aws-local-stepfunctions from its start
 * or, after a restart or a long wait's hand-over, from the state it is in
 * ("segments"); the engine's events become the execution's history, and its
 * end ends the execution.
 */

type Run = ReturnType<StateMachine["run"]>;
type EngineEvent = Run["eventLogs"] extends AsyncGenerator<infer E> ? E : never;

function machineFor(rt: Runtime, startAt: string): StateMachine {
  let machine = rt.machines.get(startAt);
  if (!machine) {
    machine = new StateMachine({ ...rt.prepared.engineDefinition, StartAt: startAt } as never, {
      validationOptions: { noValidate: true },
    });
    rt.machines.set(startAt, machine);
  }
  return machine;
}

/** Runs `exec` from `startAt` with `input`; `resumed` when that state was entered (and recorded) before. */
export function startSegment(
  rt: Runtime,
  exec: Live,
  startAt: string,
  input: JsonValue,
  resumed: boolean,
): void {
  if (rt.closing) return;
  const seg: Segment = {
    exec,
    startAt,
    detached: false,
    skipFirstEnter: resumed,
    roll: () => roll(rt, seg),
  };
  if (resumed && exec.record.wait?.state === startAt) seg.resumeWait = exec.record.wait;
  exec.segment = seg;
  exec.engineRuns += 1;
  const r = exec.record;
  const execution = {
    Id: r.executionArn,
    Name: r.name,
    RoleArn: rt.roleArn,
    StartTime: new Date(r.startDate).toISOString(),
    Input: JSON.parse(r.input) as JsonValue,
    RedriveCount: 0,
  };
  const handlers: Record<string, (input: JsonValue) => Promise<JsonValue>> = {};
  for (const name of rt.prepared.tasks.keys())
    handlers[name] = (effective) => runTask(rt, seg, name, effective);
  const options = rt.options;
  const run = machineFor(rt, startAt).run(input as never, {
    noThrowOnAbort: true,
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      ...(options.retryIntervalOverrides ? { retryIntervalOverrides: options.retryIntervalOverrides } : {}),
      ...(options.waitTimeOverrides ? { waitTimeOverrides: options.waitTimeOverrides } : {}),
    },
    context: {
      Execution: execution,
      LocalExecution: execution,
      StateMachine: { Id: rt.stateMachineArn, Name: rt.stateMachineName },
      Task: { Token: rt.placeholder },
    } as never,
  });
  seg.run = run;
  // Outcomes arrive as events (in order with the rest of the history); the promise only needs handling.
  run.result.catch(() => {});
  void consume(rt, seg, run.eventLogs);
}

/** Hands a long wait to a fresh engine run before the engine's own task timer could fire. */
function roll(rt: Runtime, seg: Segment): void {
  const exec = seg.exec;
  if (seg.detached || rt.closing || exec.record.status !== "RUNNING") return;
  const current = exec.record.current;
  if (!current) return;
  rt.detach(seg);
  startSegment(rt, exec, current.state, current.input, true);
}

async function consume(rt: Runtime, seg: Segment, events: AsyncGenerator<EngineEvent>): Promise<void> {
  try {
    for await (const event of events) {
      if (seg.detached) return;
      onEngineEvent(rt, seg, event);
    }
  } catch (error) {
    rt.report("event stream failed", error);
  }
}

function onEngineEvent(rt: Runtime, seg: Segment, event: EngineEvent): void {
  const exec = seg.exec;
  switch (event.type) {
    case "StateEntered": {
      const { name, type, input } = event.state;
      if (seg.skipFirstEnter && name === seg.startAt) {
        seg.skipFirstEnter = false;
        return;
      }
      seg.skipFirstEnter = false;
      appendStateEntered(exec.record, rt.now(), type, name, input as JsonValue);
      if (rt.prepared.topLevelStates.has(name) && event.index === undefined) {
        exec.record.current = { state: name, input: input as JsonValue };
        if (exec.record.wait) rt.dropWait(exec);
      }
      rt.schedulePersist(exec);
      return;
    }
    case "StateExited": {
      const { name, type, output } = event.state;
      rt.record(exec, `${type}StateExited`, {
        stateExitedEventDetails: {
          name,
          output: JSON.stringify(output ?? null),
          outputDetails: { truncated: false },
        },
      });
      rt.schedulePersist(exec);
      return;
    }
    case "StateRetried": {
      // AWS bills a retry as a state transition.
      const { name, type, input } = event.state;
      appendStateEntered(exec.record, rt.now(), type, name, input as JsonValue);
      if (exec.record.wait?.state === name) rt.dropWait(exec);
      rt.schedulePersist(exec);
      return;
    }
    case "ExecutionSucceeded":
      void rt
        .finish(exec, "SUCCEEDED", {
          type: "ExecutionSucceeded",
          details: {
            executionSucceededEventDetails: {
              output: JSON.stringify(event.output ?? null),
              outputDetails: { truncated: false },
            },
          },
          output: JSON.stringify(event.output ?? null),
        })
        .catch((e) => rt.report("could not record the end of an execution", e));
      return;
    case "ExecutionFailed": {
      const error = String(event.Error);
      const cause = typeof event.Cause === "string" ? event.Cause : JSON.stringify(event.Cause ?? null);
      void rt
        .finish(exec, "FAILED", {
          type: "ExecutionFailed",
          details: { executionFailedEventDetails: { error, cause } },
          error,
          cause,
        })
        .catch((e) => rt.report("could not record the end of an execution", e));
      return;
    }
    default:
      // ExecutionStarted (recorded by startExecution), StateFailed/StateCaught (the task events say it),
      // ExecutionAborted (we only abort runs we detached), Map/Parallel bookkeeping.
      return;
  }
}
