import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  TaskTimedOut,
} from "@aws-sdk/client-sfn";
import { StateMachine } from "aws-local-stepfunctions";
import { describe, expect, it } from "vitest";
import {
  ENGINE_TASK_TIMEOUT_SECONDS,
  type HistoryEvent,
  prepareDefinition,
} from "../../infra/local/step-functions";
import { callbackDefinition as definition, EXEC_PREFIX, SM_ARN, TOPIC } from "./fixtures/definitions";
import { waitFor } from "./helpers";
import { client, entered, finished, harness, types, useSfnHarness } from "./sfn-harness";

useSfnHarness();

describe("prepareDefinition", () => {
  it("moves callback timeouts out of the engine's way and keeps the raw-input path as a hidden parameter", () => {
    const p = prepareDefinition(definition);
    const awaitState = (p.engineDefinition.States as Record<string, Record<string, unknown>>).Await as Record<
      string,
      unknown
    >;
    expect(awaitState.TimeoutSecondsPath).toBeUndefined();
    expect(awaitState.TimeoutSeconds).toBe(ENGINE_TASK_TIMEOUT_SECONDS);
    expect(awaitState.Parameters).toMatchObject({ "__localTimeoutSeconds.$": "$.step.timeoutSeconds" });
    expect(p.tasks.get("Await")).toMatchObject({ callback: true, kind: "lambda", timeoutPath: true });
    // $$.Execution paths are redirected to the context the service fills in itself.
    const record = (
      p.engineDefinition.States as Record<string, { Parameters: { Payload: Record<string, string> } }>
    ).Record;
    expect(record?.Parameters.Payload["input.$"]).toBe("$$.LocalExecution.Input");
    // The caller's definition is left alone.
    expect(definition.States.Await.TimeoutSecondsPath).toBe("$.step.timeoutSeconds");
  });

  it("refuses a Task resource it cannot run", () => {
    expect(() =>
      prepareDefinition({
        StartAt: "A",
        States: { A: { Type: "Task", Resource: "arn:aws:states:::dynamodb:putItem", End: true } },
      }),
    ).toThrow(/does not support/);
  });
});

describe("LocalStepFunctions", () => {
  it("runs lambda:invoke, waitForTaskToken and sns:publish end to end through an unmodified SFNClient", async () => {
    const h = harness();
    const sfn = await client(h.service);
    const input = JSON.stringify({ id: "e1" });
    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, name: "e1", input }));
    expect(started.executionArn).toBe(`${EXEC_PREFIX}e1`);
    expect(started.startDate).toBeInstanceOf(Date);

    const wait = await waitFor(() => h.waits[0], { what: "begin-wait" });
    expect(wait.id).toBe("e1");
    expect(wait.taskToken).toMatch(/^[A-Za-z0-9_-]{60,}$/);
    expect(wait.taskToken).not.toContain("__LOCAL_SFN_TASK_TOKEN");

    const running = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(running.status).toBe("RUNNING");

    await sfn.send(
      new SendTaskSuccessCommand({ taskToken: wait.taskToken, output: JSON.stringify({ ok: 1 }) }),
    );
    const done = await finished(h.service, started.executionArn as string);
    expect(done.status).toBe("SUCCEEDED");
    const output = JSON.parse(done.output as string);
    expect(output).toMatchObject({
      id: "e1",
      step: { timeoutSeconds: 30, status: 200 },
      signal: { ok: 1 },
      published: { MessageId: "msg-1" },
    });
    expect(h.published).toEqual([
      {
        TopicArn: TOPIC,
        Message: JSON.stringify({ ok: 1 }),
        MessageAttributes: { type: { DataType: "String", StringValue: "done" } },
      },
    ]);
    expect(h.records[0]).toEqual({
      executionId: started.executionArn,
      name: "e1",
      startTime: (started.startDate as Date).toISOString(),
      input: { id: "e1" },
      stateMachineId: SM_ARN,
    });

    const viaSdk = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(viaSdk).toMatchObject({ status: "SUCCEEDED", name: "e1", input, stateMachineArn: SM_ARN });
    expect(viaSdk.stopDate).toBeInstanceOf(Date);

    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn }));
    const events = history.events as unknown as HistoryEvent[];
    expect(types(events)).toEqual([
      "ExecutionStarted",
      "TaskStateEntered",
      "TaskScheduled",
      "TaskStarted",
      "TaskSucceeded",
      "TaskStateExited",
      "ChoiceStateEntered",
      "ChoiceStateExited",
      "TaskStateEntered",
      "TaskScheduled",
      "TaskStarted",
      "TaskSubmitted",
      "TaskSucceeded",
      "TaskStateExited",
      "TaskStateEntered",
      "TaskScheduled",
      "TaskStarted",
      "TaskSucceeded",
      "TaskStateExited",
      "TaskStateEntered",
      "TaskScheduled",
      "TaskStarted",
      "TaskSucceeded",
      "TaskStateExited",
      "ExecutionSucceeded",
    ]);
    expect(entered(events)).toEqual(["Prepare", "Route", "Await", "Record", "Notify"]);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events[0]?.timestamp).toBeInstanceOf(Date);
    // The scheduled parameters show the real token, as on AWS.
    const scheduled = events.filter((e) => e.type === "TaskScheduled")[1] as HistoryEvent;
    expect(
      JSON.parse((scheduled.taskScheduledEventDetails as { parameters: string }).parameters).Payload
        .taskToken,
    ).toBe(wait.taskToken);
    expect(await h.service.stateTransitions(started.executionArn as string)).toBe(5);
  });

  it("times out a callback after TimeoutSecondsPath read from the raw state input (where the stock engine fails), and Catch takes States.Timeout without retrying it", async () => {
    // The stock engine resolves TimeoutSecondsPath against the effective parameters ({FunctionName, Payload}).
    const stock = new StateMachine(definition as never);
    const { result } = stock.run(
      { id: "x" },
      {
        overrides: {
          taskResourceLocalHandlers: {
            Prepare: async () => ({ Payload: { timeoutSeconds: 1 }, StatusCode: 200 }),
            Await: () => new Promise(() => {}),
          },
        },
      },
    );
    const stockError = await result.then(
      () => undefined,
      (e: Error) => e.cause as Error,
    );
    expect(stockError?.name).toBe("States.Runtime");

    const h = harness({ timeoutSeconds: 1 });
    const { executionArn } = await h.service.startExecution({
      name: "t1",
      input: JSON.stringify({ id: "t1" }),
    });
    const done = await finished(h.service, executionArn);
    expect(done.status).toBe("SUCCEEDED");
    const output = JSON.parse(done.output as string);
    expect(output.outcome).toBe("timed out");
    expect(output.timeout.Error).toBe("States.Timeout");

    const { events } = await h.service.getExecutionHistory(executionArn);
    const scheduled = events.filter((e) => e.type === "TaskScheduled")[1] as HistoryEvent;
    const timedOut = events.find((e) => e.type === "TaskTimedOut") as HistoryEvent;
    // Never before its deadline (the timer fires late under load, never early).
    expect(timedOut.timestamp.getTime() - scheduled.timestamp.getTime()).toBeGreaterThanOrEqual(950);
    expect((scheduled.taskScheduledEventDetails as { timeoutInSeconds: number }).timeoutInSeconds).toBe(1);
    // The States.TaskFailed retrier did not retry the timeout: one wait, one handler call.
    expect(entered(events)).toEqual(["Prepare", "Route", "Await", "TimedOut"]);
    expect(h.waits).toHaveLength(1);
  });

  it("surfaces a handler's error name to Catch and Retry, like a Lambda error", async () => {
    let calls = 0;
    const h = harness({
      prepare: async () => {
        calls += 1;
        const e = new Error(calls === 1 ? "try again" : "card declined");
        e.name = calls === 1 ? "Flaky" : "PaymentDeclined";
        throw e;
      },
    });
    const { executionArn } = await h.service.startExecution({
      name: "d1",
      input: JSON.stringify({ id: "d1" }),
    });
    const done = await finished(h.service, executionArn);
    expect(done).toMatchObject({ status: "FAILED", error: "Declined", cause: "payment declined" });
    const { events } = await h.service.getExecutionHistory(executionArn);
    const failed = events
      .filter((e) => e.type === "TaskFailed")
      .map((e) => e.taskFailedEventDetails) as Array<{
      error: string;
      cause: string;
    }>;
    expect(failed.map((f) => f.error)).toEqual(["Flaky", "PaymentDeclined"]);
    expect(JSON.parse(failed[1]?.cause as string)).toMatchObject({
      errorType: "PaymentDeclined",
      errorMessage: "card declined",
    });
    // The retry counts as a state transition (AWS bills it): Prepare twice, then the Fail state.
    expect(entered(events)).toEqual(["Prepare", "Prepare", "Declined"]);
    expect(types(events).at(-1)).toBe("ExecutionFailed");
  });

  it("mints a fresh token per attempt: SendTaskFailure is retried by States.TaskFailed, the old token is then dead", async () => {
    const h = harness();
    const sfn = await client(h.service);
    const { executionArn } = await h.service.startExecution({
      name: "f1",
      input: JSON.stringify({ id: "f1" }),
    });
    const first = await waitFor(() => h.waits[0]);
    await sfn.send(
      new SendTaskFailureCommand({ taskToken: first.taskToken, error: "Rejected", cause: "no" }),
    );
    const second = await waitFor(() => h.waits[1]);
    expect(second.taskToken).not.toBe(first.taskToken);
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: first.taskToken, output: "{}" })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
    await sfn.send(new SendTaskSuccessCommand({ taskToken: second.taskToken, output: '{"second":true}' }));
    const done = await finished(h.service, executionArn);
    expect(JSON.parse(done.output as string).signal).toEqual({ second: true });
  });

  it("treats the execution name as unique: same name and input while running is idempotent, anything else is ExecutionAlreadyExists", async () => {
    const h = harness();
    const sfn = await client(h.service);
    const input = JSON.stringify({ id: "n1" });
    const a = await sfn.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, name: "n1", input }));
    const b = await sfn.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, name: "n1", input }));
    expect(b.executionArn).toBe(a.executionArn);
    expect(b.startDate?.getTime()).toBe(a.startDate?.getTime());
    await expect(
      sfn.send(
        new StartExecutionCommand({
          stateMachineArn: SM_ARN,
          name: "n1",
          input: JSON.stringify({ id: "other" }),
        }),
      ),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);

    const wait = await waitFor(() => h.waits[0]);
    await h.service.sendTaskSuccess(wait.taskToken, "{}");
    await finished(h.service, a.executionArn as string);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, name: "n1", input })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    expect(h.waits).toHaveLength(1);
  });

  it("answers TaskTimedOut for a token already used or timed out, InvalidToken for a token it never issued", async () => {
    const h = harness({ timeoutSeconds: 1 });
    const sfn = await client(h.service);
    await h.service.startExecution({ name: "k1", input: JSON.stringify({ id: "k1" }) });
    await h.service.startExecution({ name: "k2", input: JSON.stringify({ id: "k2" }) });
    const [w1, w2] = await waitFor(() => h.waits.length === 2 && h.waits);
    const byId = Object.fromEntries([w1, w2].map((w) => [w?.id, w?.taskToken as string]));
    await sfn.send(new SendTaskSuccessCommand({ taskToken: byId.k1, output: "{}" }));
    // Used once: the second signal is late.
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: byId.k1, output: "{}" })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
    // k2 times out after 1 s; its token is then dead too.
    await finished(h.service, `${EXEC_PREFIX}k2`);
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: byId.k2, output: "{}" })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: "not-a-token", output: "{}" })),
    ).rejects.toBeInstanceOf(InvalidToken);
    // Well-formed but forged: names a real execution, but was never issued.
    const forged = Buffer.from(JSON.stringify({ v: 1, e: "k1", s: "Await", n: "x" })).toString("base64url");
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: forged, output: "{}" })),
    ).rejects.toBeInstanceOf(InvalidToken);
    await expect(
      sfn.send(new DescribeExecutionCommand({ executionArn: `${EXEC_PREFIX}nope` })),
    ).rejects.toBeInstanceOf(ExecutionDoesNotExist);
  });
});
