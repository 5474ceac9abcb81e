import "../../infra/local/polyfills";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SFNClient } from "@aws-sdk/client-sfn";
import type { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { dynamoStore } from "../../functions/adapters/dynamo-store";
import { SfnWorkflow } from "../../functions/adapters/sfn-workflow";
import { SnsEventPublisher } from "../../functions/adapters/sns-event-publisher";
import { getEscrow, performAction, type ServiceDeps } from "../../functions/app/escrow-service";
import { type ReconcileDeps, reconcile } from "../../functions/app/reconcile";
import * as tasks from "../../functions/app/workflow-tasks";
import type { CreateEscrowInput } from "../../functions/domain/create-input";
import type { ActionCommand } from "../../functions/domain/escrow";
import type { EventPublisher } from "../../functions/ports/events";
import type { WorkflowEngine } from "../../functions/ports/workflow";
import { createSfnRequestListener, LocalStepFunctions } from "../../infra/local/step-functions";
import { TestPayments } from "../app/fakes";
import { createVia } from "../app/fixture";
import { startDynalite } from "../support/dynalite";

/**
 * statemachines/escrow.asl.json executed by aws-local-stepfunctions (through
 * the local Step Functions service and its AWS wire protocol), with every task
 * state bound to the real workflow tasks over dynalite, the API side driven
 * through the real service and Step Functions adapter, and the events the
 * task Lambdas publish recorded through the real SNS adapter — what a
 * marketplace and ops would see.
 */
const ASL = readFileSync(new URL("../../statemachines/escrow.asl.json", import.meta.url), "utf8");
export const SM_ARN = "arn:aws:states:us-east-1:000000000000:stateMachine:escrow";
export const EVENTS_TOPIC = "arn:aws:sns:us-east-1:000000000000:EventsTopic";
export const OPS_ALERTS_TOPIC = "arn:aws:sns:us-east-1:000000000000:OpsAlertsTopic";
export const definition = JSON.parse(
  ASL.replace(/\$\{(\w+)\}/g, (_, name: string) =>
    name.endsWith("TopicArn")
      ? `arn:aws:sns:us-east-1:000000000000:${name.replace(/Arn$/, "")}`
      : `arn:aws:lambda:us-east-1:000000000000:function:${name.replace(/FunctionArn$/, "")}`,
  ),
) as { States: Record<string, unknown> };

/** One SNS Publish as the task Lambdas made it. */
export interface Published {
  TopicArn: string;
  Message: string;
  MessageAttributes: Record<string, { DataType: string; StringValue?: string }>;
}

export type TaskName =
  | "HoldFunds"
  | "RecordPaymentFailure"
  | "BeginWait"
  | "ApplyDeadline"
  | "SettleEscrow"
  | "EscalateToOps";

export type Harness = Awaited<ReturnType<typeof startHarness>>;

export async function startHarness(tenant = "paths") {
  const db = await startDynalite();
  const dir = mkdtempSync(join(tmpdir(), "escrow-workflow-"));
  const store = dynamoStore(db.client, db.tableName);
  const payments = new TestPayments();
  const published: Published[] = [];
  /** What tests switch on and off: an SNS outage, a task Lambda that keeps failing, the parking lease. */
  const faults = {
    publishFails: false,
    failingTasks: new Set<TaskName>(),
  };
  const settings: { parkAfterSeconds?: number } = {};
  // The task Lambdas' SNS client: the real adapter over a client that records (or fails, during an outage).
  const sns = {
    send: async (command: PublishCommand) => {
      if (faults.publishFails)
        throw Object.assign(new Error("SNS is unavailable"), { name: "InternalErrorException" });
      published.push(structuredClone(command.input) as Published);
      return { MessageId: `m-${published.length}` };
    },
  } as unknown as SNSClient;
  const events: EventPublisher = new SnsEventPublisher(sns, EVENTS_TOPIC, OPS_ALERTS_TOPIC);

  // The workflow engine the API and the tasks use: the real adapter, over HTTP, to the local service.
  let workflow: SfnWorkflow | undefined;
  const deps = {
    store,
    payments,
    events,
    now: () => new Date(),
    get workflow(): WorkflowEngine {
      return workflow as SfnWorkflow;
    },
    get parkAfterSeconds() {
      return settings.parkAfterSeconds;
    },
  };
  const task =
    <T>(name: TaskName, fn: (p: T) => Promise<unknown>) =>
    async (p: never) => {
      if (faults.failingTasks.has(name)) throw new Error(`${name} is failing (injected)`);
      return fn(p as T);
    };
  type Ref = { tenantId: string; escrowId: string };
  const sfn = new LocalStepFunctions({
    dataDir: dir,
    definition,
    stateMachineArn: SM_ARN,
    taskHandlers: {
      HoldFunds: task("HoldFunds", (p: Ref & { resumeFrom?: string }) => tasks.holdFunds(deps, p)),
      RecordPaymentFailure: task("RecordPaymentFailure", (p: Ref & { error: string }) =>
        tasks.recordPaymentFailure(deps, p),
      ),
      BeginWait: task("BeginWait", (p: Ref & { seenVersion: number; taskToken: string; execution: string }) =>
        tasks.beginWait(deps, p),
      ),
      ApplyDeadline: task("ApplyDeadline", (p: Ref & { seenVersion: number }) =>
        tasks.applyDeadline(deps, p),
      ),
      SettleEscrow: task("SettleEscrow", (p: Ref) => tasks.settle(deps, p)),
      EscalateToOps: task("EscalateToOps", (p: Ref & { error: string; cause: string; execution?: string }) =>
        tasks.escalateToOps(deps, p),
      ),
    },
    // Retries wait 1 ms instead of seconds; the retry counts are the definition's.
    retryIntervalOverrides: Object.fromEntries(Object.keys(definition.States).map((s) => [s, 1])),
    onError: () => {},
  });
  const listener = createSfnRequestListener(sfn);
  const http: Server = createServer((req, res) => void listener(req, res));
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  const client = new SFNClient({
    endpoint: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  workflow = new SfnWorkflow(client, SM_ARN);

  const arnOf = (name: string) => workflow?.executionArn(name) as string;

  async function statesEntered(name: string): Promise<string[]> {
    const { events: history } = await sfn.getExecutionHistory(arnOf(name), { maxResults: 1000 });
    return history
      .filter((e) => e.type.endsWith("StateEntered"))
      .map((e) => (e.stateEnteredEventDetails as { name: string }).name);
  }

  async function until<T>(
    probe: () => Promise<T | undefined | false>,
    what: string,
    ms = 15_000,
  ): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = await probe();
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  const parse = (p: Published) => JSON.parse(p.Message) as { id: string; type: string; escrowId: string };

  return {
    deps: deps as ServiceDeps & typeof deps,
    store,
    payments,
    sfn,
    published,
    faults,
    settings,
    tenant,
    arnOf,
    statesEntered,
    until,

    async create(o: Partial<CreateEscrowInput> = {}, via: Partial<ServiceDeps> = {}) {
      return (await createVia({ ...deps, ...via }, tenant, o)).escrowId;
    },

    act(id: string, command: ActionCommand, via: Partial<ServiceDeps> = {}) {
      return performAction({ ...deps, ...via }, tenant, id, command);
    },

    /** Creates an escrow and takes it to AwaitBuyerConfirmation: funded, then delivered by the seller. */
    async delivered(o: Partial<CreateEscrowInput> = {}) {
      const id = await this.create(o);
      await this.waitingIn(id, "AwaitDelivery");
      await this.act(id, { action: "delivery", actorId: "u-s" });
      await this.waitingIn(id, "AwaitBuyerConfirmation");
      return id;
    },

    escrow(id: string) {
      return getEscrow(deps, tenant, id);
    },

    /** Runs the reconciler once, as its schedule would, optionally with its clock moved on. */
    reconcile(aheadMs = 0, overrides: Partial<ReconcileDeps> = {}) {
      return reconcile({ ...deps, now: () => new Date(Date.now() + aheadMs), ...overrides });
    },

    /** The escrow's executions (the first, continuations, restarts), by name, oldest first. */
    async executionsOf(id: string) {
      const { executions } = await sfn.listExecutions({ maxResults: 1000 });
      return executions
        .filter((e) => e.name === id || e.name.startsWith(`${id}-`))
        .sort((a, b) => a.startDate.getTime() - b.startDate.getTime())
        .map((e) => ({ name: e.name, status: e.status }));
    },

    /** Waits until the execution is at rest in `state`: entered, and its task token stored for the current version. */
    waitingIn(id: string, state: string, execution = id) {
      return until(async () => {
        const entered = await statesEntered(execution);
        const exec = await sfn.describeExecution(arnOf(execution));
        if (entered.at(-1) !== state || exec.status !== "RUNNING") return false;
        const [wait, escrow] = await Promise.all([store.waits.get(tenant, id), getEscrow(deps, tenant, id)]);
        return wait?.seenVersion === escrow.version && wait.token !== null && wait.execution === execution;
      }, `${execution} waiting in ${state}`);
    },

    finished(execution: string) {
      return until(async () => {
        const d = await sfn.describeExecution(arnOf(execution)).catch(() => undefined);
        return d && d.status !== "RUNNING" && d;
      }, `${execution} to finish`);
    },

    /** The marketplace events published for the escrow, in order: id and type. */
    eventsOf(id: string) {
      return published
        .filter((p) => p.TopicArn === EVENTS_TOPIC && parse(p).escrowId === id)
        .map((p) => ({ id: parse(p).id, type: parse(p).type }));
    },

    alertsOf(id: string) {
      return published
        .filter((p) => p.TopicArn === OPS_ALERTS_TOPIC && parse(p).escrowId === id)
        .map((p) => JSON.parse(p.Message) as Record<string, unknown>);
    },

    async close() {
      await sfn.close();
      await new Promise<void>((r) => http.close(() => r()));
      client.destroy();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
