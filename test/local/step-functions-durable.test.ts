import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskSuccessCommand,
  StopExecutionCommand,
  TaskTimedOut,
} from "@aws-sdk/client-sfn";
import { describe, expect, it } from "vitest";
import {
  ENGINE_TASK_TIMEOUT_SECONDS,
  type HistoryEvent,
  LocalStepFunctions,
  prepareDefinition,
} from "../../infra/local/step-functions";
import { callbackDefinition as definition, EXEC_PREFIX, fn, SM_ARN } from "./fixtures/definitions";
import { waitFor } from "./helpers";
import { client, dir, entered, finished, harness, open, types, useSfnHarness } from "./sfn-harness";

/**
 * The local Step Functions (see step-functions.test.ts): waits persisted and
 * resumed across restarts, stops, listings, the files it keeps, the escrow
 * workflow, and timeouts beyond one engine run.
 */
useSfnHarness();

describe("LocalStepFunctions across restarts and on disk", () => {
  it("persists the wait (token and absolute deadline) before the Lambda that hands the token out runs", async () => {
    let onDisk: { wait?: { token: string; deadline: number } } | undefined;
    let token = "";
    const T0 = Date.parse("2026-11-25T10:00:00.000Z");
    const h = harness({
      now: () => T0, // the service's clock stands still: the deadline is exact
      beginWait: async (p) => {
        token = p.taskToken;
        onDisk = JSON.parse(readFileSync(join(dir, "executions", "p1.json"), "utf8"));
        return null;
      },
    });
    await h.service.startExecution({ name: "p1", input: JSON.stringify({ id: "p1" }) });
    await waitFor(() => token !== "", { what: "the wait's Lambda" });
    expect(onDisk?.wait?.token).toBe(token);
    expect(onDisk?.wait?.deadline).toBe(T0 + 30_000);
  });

  it("survives a restart: a new service on the same dataDir resumes the wait, and the ORIGINAL token completes it", async () => {
    const first = harness({ timeoutSeconds: 60 });
    const { executionArn, startDate } = await first.service.startExecution({
      name: "r1",
      input: JSON.stringify({ id: "r1" }),
    });
    const wait = await waitFor(() => first.waits[0]);
    await waitFor(async () => {
      const { events } = await first.service.getExecutionHistory(executionArn);
      return events.some((e) => e.type === "TaskSubmitted");
    });
    await first.service.close(); // stops everything, finishes nothing

    const second = harness({ timeoutSeconds: 60 });
    expect((await second.service.describeExecution(executionArn)).status).toBe("RUNNING");
    expect(await second.service.resume()).toEqual(["r1"]);
    await second.service.sendTaskSuccess(wait.taskToken, JSON.stringify({ after: "restart" }));
    const done = await finished(second.service, executionArn);
    expect(done.status).toBe("SUCCEEDED");
    expect(JSON.parse(done.output as string).signal).toEqual({ after: "restart" });
    // The wait's Lambda had already handed the token out: it is not run again.
    expect(second.waits).toHaveLength(0);
    // The resumed execution keeps its context: start time and input of the original start.
    expect(second.records[0]).toMatchObject({
      startTime: startDate.toISOString(),
      input: { id: "r1" },
      name: "r1",
    });
    const { events } = await second.service.getExecutionHistory(executionArn);
    expect(entered(events)).toEqual(["Prepare", "Route", "Await", "Record", "Notify"]);
    expect(events.filter((e) => e.type === "ExecutionStarted")).toHaveLength(1);
  });

  it("accepts a signal for a resumed execution's wait even before resume() runs, and keeps it on disk", async () => {
    const first = harness();
    const { executionArn } = await first.service.startExecution({
      name: "r2",
      input: JSON.stringify({ id: "r2" }),
    });
    const wait = await waitFor(() => first.waits[0]);
    await first.service.close();

    const second = harness();
    await second.service.sendTaskSuccess(wait.taskToken, '{"early":true}');
    await second.service.close();

    const third = harness();
    await third.service.resume();
    const done = await finished(third.service, executionArn);
    expect(JSON.parse(done.output as string).signal).toEqual({ early: true });
    await expect(third.service.sendTaskSuccess(wait.taskToken, "{}")).rejects.toMatchObject({
      code: "TaskTimedOut",
    });
  });

  it("times a resumed wait out at once when its deadline passed while the service was down", async () => {
    const first = harness({ timeoutSeconds: 60 });
    const { executionArn } = await first.service.startExecution({
      name: "r3",
      input: JSON.stringify({ id: "r3" }),
    });
    const wait = await waitFor(() => first.waits[0]);
    await first.service.close();
    const saved = JSON.parse(readFileSync(join(dir, "executions", "r3.json"), "utf8"));
    const deadline = saved.wait.deadline as number;

    // Two minutes later (on the service's clock), the 60 s window is over: the resumed wait does not
    // start a new 60 s (the test would time out), it ends at once at its recorded deadline.
    const second = harness({ timeoutSeconds: 60, now: () => Date.now() + 120_000 });
    await second.service.resume();
    const done = await finished(second.service, executionArn);
    expect(JSON.parse(done.output as string).outcome).toBe("timed out");
    const { events } = await second.service.getExecutionHistory(executionArn);
    const timedOut = events.find((e) => e.type === "TaskTimedOut") as HistoryEvent;
    expect(timedOut.timestamp.getTime()).toBeGreaterThanOrEqual(deadline);
    expect(events.filter((e) => e.type === "TaskScheduled")).toHaveLength(2); // Prepare, Await: not re-run
    await expect(second.service.sendTaskSuccess(wait.taskToken, "{}")).rejects.toMatchObject({
      code: "TaskTimedOut",
    });
  });

  it("carries a wait longer than one engine run across runs with the same token and the same deadline", async () => {
    // maxSegmentSeconds stands in for the engine's 2,000,000 s task timer.
    const h = harness({ timeoutSeconds: 1, maxSegmentSeconds: 0.2 });
    const { executionArn } = await h.service.startExecution({
      name: "l1",
      input: JSON.stringify({ id: "l1" }),
    });
    const done = await finished(h.service, executionArn);
    expect(JSON.parse(done.output as string).outcome).toBe("timed out");
    const { events } = await h.service.getExecutionHistory(executionArn);
    const scheduled = events.filter((e) => e.type === "TaskScheduled")[1] as HistoryEvent;
    const timedOut = events.find((e) => e.type === "TaskTimedOut") as HistoryEvent;
    // The deadline held across the hand-overs: never before it.
    expect(timedOut.timestamp.getTime() - scheduled.timestamp.getTime()).toBeGreaterThanOrEqual(950);
    expect(entered(events)).toEqual(["Prepare", "Route", "Await", "TimedOut"]);
    expect(h.waits).toHaveLength(1);

    const h2 = harness({ timeoutSeconds: 60, maxSegmentSeconds: 0.05 });
    const second = await h2.service.startExecution({ name: "l2", input: JSON.stringify({ id: "l2" }) });
    const wait = await waitFor(() => h2.waits[0]);
    await waitFor(() => h2.service.engineRuns(second.executionArn) >= 4, { what: "three hand-overs" });
    await h2.service.sendTaskSuccess(wait.taskToken, '{"late":"but in time"}');
    const done2 = await finished(h2.service, second.executionArn);
    expect(JSON.parse(done2.output as string).signal).toEqual({ late: "but in time" });
    expect(h2.waits).toHaveLength(1);
    const history2 = (await h2.service.getExecutionHistory(second.executionArn)).events;
    const callbacks = history2.filter(
      (e) =>
        e.type === "TaskScheduled" &&
        (e.taskScheduledEventDetails as { resource: string }).resource.endsWith(".waitForTaskToken"),
    );
    expect(callbacks).toHaveLength(1); // one wait, not one per engine run
  });

  it("stops an execution (ABORTED) and kills its token; lists and pages executions through the SDK", async () => {
    const h = harness();
    const sfn = await client(h.service);
    for (const id of ["s1", "s2", "s3"])
      await h.service.startExecution({ name: id, input: JSON.stringify({ id }) });
    await waitFor(() => h.waits.length === 3);
    const s1 = h.waits.find((w) => w.id === "s1") as { taskToken: string };
    const stopped = await sfn.send(
      new StopExecutionCommand({ executionArn: `${EXEC_PREFIX}s1`, error: "Ops", cause: "test" }),
    );
    expect(stopped.stopDate).toBeInstanceOf(Date);
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn: `${EXEC_PREFIX}s1` }));
    expect(d).toMatchObject({ status: "ABORTED", error: "Ops", cause: "test" });
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: s1.taskToken, output: "{}" })),
    ).rejects.toBeInstanceOf(TaskTimedOut);

    const running = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: SM_ARN, statusFilter: "RUNNING" }),
    );
    expect(running.executions?.map((e) => e.name).sort()).toEqual(["s2", "s3"]);
    const page1 = await sfn.send(new ListExecutionsCommand({ stateMachineArn: SM_ARN, maxResults: 2 }));
    expect(page1.executions).toHaveLength(2);
    expect(page1.nextToken).toBeTruthy();
    const page2 = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: SM_ARN, maxResults: 2, nextToken: page1.nextToken }),
    );
    expect(page2.executions).toHaveLength(1);
    expect(page2.nextToken).toBeUndefined();
    const all = [...(page1.executions ?? []), ...(page2.executions ?? [])].map((e) => e.name).sort();
    expect(all).toEqual(["s1", "s2", "s3"]);

    const h1 = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn: `${EXEC_PREFIX}s1`, reverseOrder: true, maxResults: 1 }),
    );
    expect(h1.events?.[0]?.type).toBe("ExecutionAborted");
    expect(h1.nextToken).toBeTruthy();
  });

  it("lists and describes its state machine for ops who do not know the ARN, and refuses an unknown status filter", async () => {
    const h = harness();
    const sfn = await client(h.service);
    const { stateMachines, nextToken } = await sfn.send(new ListStateMachinesCommand({}));
    expect(nextToken).toBeUndefined();
    expect(stateMachines).toEqual([
      { stateMachineArn: SM_ARN, name: "Test", type: "STANDARD", creationDate: expect.any(Date) },
    ]);
    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: SM_ARN }));
    expect(described).toMatchObject({
      stateMachineArn: SM_ARN,
      name: "Test",
      status: "ACTIVE",
      type: "STANDARD",
    });
    expect(JSON.parse(described.definition as string)).toEqual(definition);
    await expect(
      sfn.send(new DescribeStateMachineCommand({ stateMachineArn: `${SM_ARN}-other` })),
    ).rejects.toMatchObject({ name: "StateMachineDoesNotExist" });
    await expect(
      sfn.send(new ListExecutionsCommand({ stateMachineArn: SM_ARN, statusFilter: "DONE" as never })),
    ).rejects.toMatchObject({ name: "ValidationException" });
  });

  it("keeps finished executions on disk as JSON (atomically replaced files, no temp files left)", async () => {
    const h = harness({ timeoutSeconds: 1 });
    const { executionArn } = await h.service.startExecution({
      name: "j1",
      input: JSON.stringify({ id: "j1" }),
    });
    await finished(h.service, executionArn);
    await h.service.close();
    const saved = JSON.parse(await readFile(join(dir, "executions", "j1.json"), "utf8"));
    expect(saved).toMatchObject({ name: "j1", status: "SUCCEEDED", executionArn });
    expect(saved.current).toBeUndefined();
    const { readdir } = await import("node:fs/promises");
    expect((await readdir(join(dir, "executions"))).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    const again = harness();
    expect((await again.service.describeExecution(executionArn)).status).toBe("SUCCEEDED");
    expect(await again.service.resume()).toEqual([]);
  });
});

describe("the escrow workflow (statemachines/escrow.asl.json)", () => {
  // Its paths are tested in test/workflow; here: the local engine takes the very file.
  it("is accepted by the local engine: every Task is one it can run, timeouts moved out of the engine's way", () => {
    const text = readFileSync(
      new URL("../../statemachines/escrow.asl.json", import.meta.url),
      "utf8",
    ).replace(/\$\{(\w+)\}/g, (_, name: string) =>
      name.endsWith("TopicArn")
        ? `arn:aws:sns:us-east-1:123456789012:${name}`
        : `arn:aws:lambda:us-east-1:123456789012:function:${name.replace(/FunctionArn$/, "")}`,
    );
    const asl = JSON.parse(text) as { States: Record<string, { Type: string }> };
    const prepared = prepareDefinition(asl);
    const taskStates = Object.entries(asl.States).filter(([, s]) => s.Type === "Task");
    expect(taskStates.length).toBeGreaterThan(0);
    expect([...prepared.tasks.keys()].sort()).toEqual(taskStates.map(([name]) => name).sort());
    for (const state of Object.values(
      prepared.engineDefinition.States as Record<string, Record<string, unknown>>,
    ))
      if (state.Type === "Task") expect(state.TimeoutSeconds).toBe(ENGINE_TASK_TIMEOUT_SECONDS);
    const service = new LocalStepFunctions({
      dataDir: dir,
      definition: asl,
      stateMachineArn: SM_ARN,
      taskHandlers: {},
      snsPublish: async () => ({ MessageId: "m" }),
    });
    open.push(service);
    expect(service.describeStateMachine().definition).toBe(JSON.stringify(asl));
  });
});

describe("timeouts beyond TimeoutSecondsPath", () => {
  const callback = (extra: Record<string, unknown>, top: Record<string, unknown> = {}) => ({
    ...top,
    StartAt: "Await",
    States: {
      Await: {
        Type: "Task",
        Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
        Parameters: { FunctionName: fn("begin-wait"), Payload: { "taskToken.$": "$$.Task.Token" } },
        ...extra,
        Catch: [{ ErrorEquals: ["States.Timeout"], Next: "TimedOut", ResultPath: "$.timeout" }],
        End: true,
      },
      TimedOut: { Type: "Pass", End: true },
    },
  });

  function service(def: Record<string, unknown>, tokens: string[], now?: () => number) {
    const s = new LocalStepFunctions({
      dataDir: dir,
      definition: def,
      stateMachineArn: SM_ARN,
      ...(now ? { now } : {}),
      taskHandlers: {
        "begin-wait": async (p: { taskToken: string }) => {
          tokens.push(p.taskToken);
          return null;
        },
      },
      onError: () => {},
    });
    open.push(s);
    return s;
  }

  it("keeps a wait alive with heartbeats (HeartbeatSeconds) and times it out when they stop", async () => {
    const tokens: string[] = [];
    // The service's clock: real time plus what the test moves it on by.
    let offset = 0;
    const now = () => Date.now() + offset;
    const s = service(callback({ TimeoutSeconds: 30, HeartbeatSeconds: 1 }), tokens, now);
    const { executionArn } = await s.startExecution({ name: "hb" });
    const token = await waitFor(() => tokens[0]);
    const file = join(dir, "executions", "hb.json");
    const savedWait = async () =>
      JSON.parse(await readFile(file, "utf8")).wait as { heartbeatDeadline: number; deadline: number };
    const first = await savedWait();
    // Four beats, each 0.8 s apart on the service's clock: 3.2 s in all, three times the heartbeat period.
    let lastBeat = 0;
    for (let i = 0; i < 4; i++) {
      offset += 800;
      lastBeat = now();
      await s.sendTaskHeartbeat(token);
      // Each beat moves the heartbeat deadline (on disk before it is acknowledged) and not the task's deadline.
      const saved = await savedWait();
      expect(saved.heartbeatDeadline).toBeGreaterThanOrEqual(lastBeat + 1000);
      expect(saved.deadline).toBe(first.deadline);
    }
    expect((await s.describeExecution(executionArn)).status).toBe("RUNNING");
    const { events: before } = await s.getExecutionHistory(executionArn);
    expect(types(before)).not.toContain("TaskTimedOut");

    // No more beats: the wait times out one heartbeat period after the last.
    const done = await finished(s, executionArn);
    const { events } = await s.getExecutionHistory(executionArn);
    const timedOut = events.find((e) => e.type === "TaskTimedOut") as HistoryEvent;
    expect((timedOut.taskTimedOutEventDetails as { error: string }).error).toBe("States.HeartbeatTimeout");
    expect(timedOut.timestamp.getTime() - lastBeat).toBeGreaterThanOrEqual(1000);
    expect(JSON.parse(done.output as string).timeout.Error).toBe("States.Timeout");
  });

  it("ends the whole execution as TIMED_OUT after the definition's TimeoutSeconds, and kills its token", async () => {
    const tokens: string[] = [];
    const s = service(callback({ TimeoutSeconds: 30 }, { TimeoutSeconds: 1 }), tokens);
    const { executionArn } = await s.startExecution({ name: "exec-timeout" });
    const token = await waitFor(() => tokens[0]);
    const done = await finished(s, executionArn);
    expect(done.status).toBe("TIMED_OUT");
    expect((done.stopDate?.getTime() ?? 0) - done.startDate.getTime()).toBeGreaterThanOrEqual(950);
    const { events } = await s.getExecutionHistory(executionArn);
    expect(types(events).at(-1)).toBe("ExecutionTimedOut");
    await expect(s.sendTaskSuccess(token, "{}")).rejects.toMatchObject({ code: "TaskTimedOut" });
  });
});
