import "../../infra/local/polyfills";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SFNClient } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DynamoEscrowStore } from "../../functions/adapters/dynamo-escrow-store";
import { SandboxPaymentProvider } from "../../functions/adapters/sandbox-payment-provider";
import { SfnWorkflow } from "../../functions/adapters/sfn-workflow";
import { requestHash } from "../../functions/api/request-hash";
import { createEscrow, getEscrow, performAction, type ServiceDeps } from "../../functions/app/escrow-service";
import {
  applyDeadline,
  beginWait,
  escalateToOps,
  holdFunds,
  recordPaymentFailure,
  settle,
} from "../../functions/app/workflow-tasks";
import type { CreateEscrowInput } from "../../functions/domain/create-input";
import type { ActionCommand } from "../../functions/domain/escrow";
import type { PaymentProvider } from "../../functions/ports/payment-provider";
import {
  createSfnRequestListener,
  LocalStepFunctions,
  type SnsPublishParams,
} from "../../infra/local/step-functions";
import { startDynalite } from "../support/dynalite";

/**
 * Every path of statemachines/escrow.asl.json, executed by
 * aws-local-stepfunctions (through the local Step Functions service), with the
 * task states bound to the real workflow tasks over dynalite and the API side
 * driven through the real service and Step Functions adapter. Each path checks
 * the states entered — what ops see in the console — and the final record.
 */
const ASL = readFileSync(new URL("../../statemachines/escrow.asl.json", import.meta.url), "utf8");
const SM_ARN = "arn:aws:states:us-east-1:000000000000:stateMachine:escrow";
const definition = JSON.parse(
  ASL.replace(/\$\{(\w+)\}/g, (_, name: string) =>
    name.endsWith("TopicArn")
      ? `arn:aws:sns:us-east-1:000000000000:${name.replace(/Arn$/, "")}`
      : `arn:aws:lambda:us-east-1:000000000000:function:${name.replace(/FunctionArn$/, "")}`,
  ),
);

let db: Awaited<ReturnType<typeof startDynalite>>;
let dir: string;
let sfn: LocalStepFunctions;
let http: Server;
let deps: ServiceDeps;
let published: SnsPublishParams[];
/** Lets a test make the provider's settlement fail (a capture rejected for good). */
let settleFails = false;

class ControllablePayments extends SandboxPaymentProvider implements PaymentProvider {
  override async settle(): Promise<void> {
    if (settleFails) throw new Error("capture rejected by the provider");
  }
}

beforeAll(async () => {
  db = await startDynalite();
  dir = mkdtempSync(join(tmpdir(), "escrow-paths-"));
  const store = new DynamoEscrowStore(db.client, db.tableName);
  const payments = new ControllablePayments();
  published = [];
  // The workflow engine the API and BeginWait use: the real adapter, over HTTP, to the local service.
  let workflow: SfnWorkflow | undefined;
  deps = {
    store,
    payments,
    now: () => new Date(),
    get workflow() {
      return workflow as SfnWorkflow;
    },
  } as ServiceDeps;
  const task =
    <T>(fn: (p: T) => Promise<unknown>) =>
    (p: never) =>
      fn(p as T);
  sfn = new LocalStepFunctions({
    dataDir: dir,
    definition,
    stateMachineArn: SM_ARN,
    taskHandlers: {
      HoldFunds: task((p: { tenantId: string; escrowId: string }) => holdFunds(deps, p)),
      RecordPaymentFailure: task((p: { tenantId: string; escrowId: string; error: string }) =>
        recordPaymentFailure(deps, p, p.error),
      ),
      BeginWait: task((p: { tenantId: string; escrowId: string; seenVersion: number; taskToken: string }) =>
        beginWait(deps, p),
      ),
      ApplyDeadline: task((p: { tenantId: string; escrowId: string; seenVersion: number }) =>
        applyDeadline(deps, p),
      ),
      SettleEscrow: task((p: { tenantId: string; escrowId: string }) => settle(deps, p)),
      EscalateToOps: task(
        (p: { tenantId: string; escrowId: string; afterStep: string; error: string; cause: string }) =>
          escalateToOps(deps, p),
      ),
    },
    snsPublish: async (p) => {
      published.push(p);
      return { MessageId: `m-${published.length}` };
    },
    // Retries wait 1 ms instead of seconds; the retry counts are the definition's.
    retryIntervalOverrides: Object.fromEntries(Object.keys(definition.States).map((s) => [s, 1])),
  });
  const listener = createSfnRequestListener(sfn);
  http = createServer((req, res) => void listener(req, res));
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  const client = new SFNClient({
    endpoint: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  workflow = new SfnWorkflow(client, SM_ARN);
});

afterAll(async () => {
  await sfn?.close();
  await new Promise<void>((r) => http?.close(() => r()));
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  settleFails = false;
});

const TENANT = "paths";
const order = (o: Partial<CreateEscrowInput> = {}): CreateEscrowInput => ({
  buyerId: "u-b",
  sellerId: "u-s",
  amount: 10_000,
  currency: "USD",
  fee: 300,
  paymentMethod: "pm_sandbox_ok",
  ...o,
});

async function create(o: Partial<CreateEscrowInput> = {}) {
  const body = order(o);
  const { escrow } = await createEscrow(deps, TENANT, body, {
    key: crypto.randomUUID(),
    requestHash: requestHash("POST", "/v1/escrows", body),
  });
  return escrow.id;
}

const act = (id: string, command: ActionCommand) => performAction(deps, TENANT, id, command);
const arnOf = (id: string) => `${SM_ARN.replace(":stateMachine:", ":execution:")}:${id}`;

async function statesEntered(id: string): Promise<string[]> {
  const { events } = await sfn.getExecutionHistory(arnOf(id), { maxResults: 1000 });
  return events
    .filter((e) => e.type.endsWith("StateEntered"))
    .map((e) => (e.stateEnteredEventDetails as { name: string }).name);
}

async function until<T>(probe: () => Promise<T | undefined | false>, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until the execution is at rest in `state`: entered, and its task token stored for the current version. */
const waitingIn = (id: string, state: string) =>
  until(async () => {
    const entered = await statesEntered(id);
    const exec = await sfn.describeExecution(arnOf(id));
    if (entered.at(-1) !== state || exec.status !== "RUNNING") return false;
    const [wait, escrow] = await Promise.all([deps.store.getWait(TENANT, id), getEscrow(deps, TENANT, id)]);
    return wait?.seenVersion === escrow.version;
  }, `${id} waiting in ${state}`);

const finished = (id: string) =>
  until(async () => {
    const d = await sfn.describeExecution(arnOf(id));
    return d.status !== "RUNNING" && d;
  }, `${id} to finish`);

const eventsOf = (id: string) =>
  published
    .filter((p) => JSON.parse(String(p.Message)).escrowId === id)
    .map((p) => JSON.parse(String(p.Message)).type);

describe("paths of the escrow workflow", () => {
  it("happy path: 9 state transitions, release", async () => {
    const id = await create();
    await waitingIn(id, "AwaitDelivery");
    await act(id, { action: "delivery", actorId: "u-s" });
    await waitingIn(id, "AwaitBuyerConfirmation");
    await act(id, { action: "confirmation", actorId: "u-b" });
    expect((await finished(id)).status).toBe("SUCCEEDED");
    expect(await statesEntered(id)).toEqual([
      "HoldFunds",
      "NotifyFunded",
      "AwaitDelivery",
      "RouteByOutcome",
      "NotifyDelivered",
      "AwaitBuyerConfirmation",
      "RouteByOutcome",
      "ReleaseToSeller",
      "NotifyReleased",
    ]);
    expect(await sfn.stateTransitions(arnOf(id))).toBe(9);
    expect(await getEscrow(deps, TENANT, id)).toMatchObject({
      status: "RELEASED",
      settlement: { paidToSeller: 9700 },
    });
    expect(eventsOf(id)).toEqual(["escrow.funded", "escrow.delivered", "escrow.released"]);
  });

  it("declined payment: RecordPaymentFailure, cancelled", async () => {
    const id = await create({ paymentMethod: "pm_sandbox_decline" });
    await finished(id);
    expect(await statesEntered(id)).toEqual(["HoldFunds", "RecordPaymentFailure", "NotifyCancelled"]);
    expect(await getEscrow(deps, TENANT, id)).toMatchObject({
      status: "CANCELLED",
      failureReason: "payment_declined",
    });
    expect(eventsOf(id)).toEqual(["escrow.cancelled"]);
  });

  it("provider unavailable: three retries, then cancelled", async () => {
    const id = await create({ paymentMethod: "pm_sandbox_unavailable" });
    await finished(id);
    expect(await statesEntered(id)).toEqual([
      "HoldFunds",
      "HoldFunds",
      "HoldFunds",
      "HoldFunds",
      "RecordPaymentFailure",
      "NotifyCancelled",
    ]);
    expect(await getEscrow(deps, TENANT, id)).toMatchObject({
      status: "CANCELLED",
      failureReason: "payment_unavailable",
    });
  });

  it("cancellation while waiting for delivery: RefundBuyer", async () => {
    const id = await create();
    await waitingIn(id, "AwaitDelivery");
    await act(id, { action: "cancellation", actorId: "u-b" });
    await finished(id);
    expect((await statesEntered(id)).slice(3)).toEqual(["RouteByOutcome", "RefundBuyer", "NotifyRefunded"]);
    expect((await getEscrow(deps, TENANT, id)).status).toBe("REFUNDED");
  });

  it("partial refund accepted: AwaitSellerResponse, SplitSettlement", async () => {
    const id = await create();
    await waitingIn(id, "AwaitDelivery");
    await act(id, { action: "delivery", actorId: "u-s" });
    await waitingIn(id, "AwaitBuyerConfirmation");
    await act(id, { action: "refund-request", actorId: "u-b", amount: 2500, reason: "dent" });
    await waitingIn(id, "AwaitSellerResponse");
    await act(id, { action: "refund-response", actorId: "u-s", accept: true });
    await finished(id);
    expect((await statesEntered(id)).slice(6)).toEqual([
      "RouteByOutcome",
      "NotifyRefundRequested",
      "AwaitSellerResponse",
      "RouteByOutcome",
      "SplitSettlement",
      "NotifySettled",
    ]);
    expect((await getEscrow(deps, TENANT, id)).settlement).toMatchObject({
      refundedToBuyer: 2500,
      platformFee: 225,
    });
  });

  it("refund rejected: NotifyDisputed, AwaitOpsResolution, ops split", async () => {
    const id = await create();
    await waitingIn(id, "AwaitDelivery");
    await act(id, { action: "delivery", actorId: "u-s" });
    await waitingIn(id, "AwaitBuyerConfirmation");
    await act(id, { action: "refund-request", actorId: "u-b", reason: "dent" });
    await waitingIn(id, "AwaitSellerResponse");
    await act(id, { action: "refund-response", actorId: "u-s", accept: false });
    await waitingIn(id, "AwaitOpsResolution");
    await act(id, { action: "resolution", outcome: "split", refundAmount: 4000, note: "share the blame" });
    await finished(id);
    expect((await statesEntered(id)).slice(-5)).toEqual([
      "NotifyDisputed",
      "AwaitOpsResolution",
      "RouteByOutcome",
      "SplitSettlement",
      "NotifySettled",
    ]);
    expect((await getEscrow(deps, TENANT, id)).status).toBe("SETTLED");
  });

  it("extension: NotifyExtended loops back to AwaitBuyerConfirmation with the new timeout", async () => {
    const id = await create({ windows: { confirmationSeconds: 1 } });
    await waitingIn(id, "AwaitDelivery");
    await act(id, { action: "delivery", actorId: "u-s" });
    await waitingIn(id, "AwaitBuyerConfirmation");
    await act(id, { action: "extension", actorId: "u-b", seconds: 2 });
    await finished(id);
    expect((await statesEntered(id)).slice(5)).toEqual([
      "AwaitBuyerConfirmation",
      "RouteByOutcome",
      "NotifyExtended",
      "AwaitBuyerConfirmation",
      "ApplyDeadlineOutcome",
      "RouteByOutcome",
      "ReleaseToSeller",
      "NotifyReleased",
    ]);
    const escrow = await getEscrow(deps, TENANT, id);
    expect(
      Date.parse(escrow.settlement?.settledAt ?? "") - Date.parse(escrow.delivery?.deliveredAt ?? ""),
    ).toBeGreaterThanOrEqual(3000);
  });

  it.each([
    [
      "delivery",
      { deliverySeconds: 1 },
      "REFUNDED",
      ["AwaitDelivery", "ApplyDeadlineOutcome", "RouteByOutcome", "RefundBuyer", "NotifyRefunded"],
    ],
    [
      "confirmation",
      { confirmationSeconds: 1 },
      "RELEASED",
      [
        "AwaitBuyerConfirmation",
        "ApplyDeadlineOutcome",
        "RouteByOutcome",
        "ReleaseToSeller",
        "NotifyReleased",
      ],
    ],
  ] as const)("the %s window times out into its automatic outcome", async (window, windows, status, tail) => {
    const id = await create({ windows });
    if (window === "confirmation") {
      await waitingIn(id, "AwaitDelivery");
      await act(id, { action: "delivery", actorId: "u-s" });
    }
    await finished(id);
    expect((await statesEntered(id)).slice(-5)).toEqual(tail);
    expect((await getEscrow(deps, TENANT, id)).status).toBe(status);
  });

  it("an unresolved dispute times out: ops alerted, buyer refunded", async () => {
    const id = await create({ windows: { disputeSeconds: 1 } });
    await waitingIn(id, "AwaitDelivery");
    await act(id, { action: "dispute", actorId: "u-s", reason: "x" });
    await finished(id);
    expect((await statesEntered(id)).slice(-6)).toEqual([
      "AwaitOpsResolution",
      "ApplyDeadlineOutcome",
      "RouteByOutcome",
      "AlertOpsDisputeUnresolved",
      "RefundBuyer",
      "NotifyRefunded",
    ]);
    const alert = published.find(
      (p) => String(p.TopicArn).endsWith("OpsAlertsTopic") && String(p.Message).includes(id),
    );
    expect(JSON.parse(String(alert?.Message))).toMatchObject({
      type: "escrow.dispute_unresolved",
      escrowId: id,
    });
  });

  it("a claim whose signal was lost is carried out by the timeout branch (the 202 stands)", async () => {
    const id = await create({ windows: { confirmationSeconds: 1 } });
    await waitingIn(id, "AwaitDelivery");
    await act(id, { action: "delivery", actorId: "u-s" });
    await waitingIn(id, "AwaitBuyerConfirmation");
    // The buyer confirms, but the signal never reaches the workflow (network, throttling...).
    const lost: ServiceDeps = { ...deps, workflow: { start: async () => {}, signal: async () => false } };
    const answer = await performAction(lost, TENANT, id, { action: "confirmation", actorId: "u-b" });
    expect(answer.statusCode).toBe(202);
    await finished(id);
    expect((await statesEntered(id)).slice(-4)).toEqual([
      "ApplyDeadlineOutcome",
      "RouteByOutcome",
      "ReleaseToSeller",
      "NotifyReleased",
    ]);
    const history = await getEscrow(deps, TENANT, id);
    expect(history.status).toBe("RELEASED");
  });

  it("a settlement that fails for good escalates to ops, who settle it with a resolution", async () => {
    settleFails = true;
    const id = await create();
    await waitingIn(id, "AwaitDelivery");
    await act(id, { action: "delivery", actorId: "u-s" });
    await waitingIn(id, "AwaitBuyerConfirmation");
    await act(id, { action: "confirmation", actorId: "u-b" });
    await waitingIn(id, "AwaitOpsRepair");
    const entered = await statesEntered(id);
    expect(entered.filter((s) => s === "ReleaseToSeller")).toHaveLength(9); // first try + 8 retries
    expect(entered.slice(-3)).toEqual(["EscalateToOps", "AlertOps", "AwaitOpsRepair"]);
    expect(await getEscrow(deps, TENANT, id)).toMatchObject({ needsOpsAttention: true, status: "DELIVERED" });
    const alert = published.find(
      (p) => String(p.TopicArn).endsWith("OpsAlertsTopic") && String(p.Message).includes(id),
    );
    expect(JSON.parse(String(alert?.Message))).toMatchObject({
      type: "escrow.needs_ops",
      escrowId: id,
      reason: "Error: capture rejected by the provider",
    });

    settleFails = false;
    await act(id, { action: "resolution", outcome: "refund", note: "capture impossible; refund the buyer" });
    expect((await finished(id)).status).toBe("SUCCEEDED");
    expect((await statesEntered(id)).slice(-4)).toEqual([
      "AwaitOpsRepair",
      "RouteByOutcome",
      "RefundBuyer",
      "NotifyRefunded",
    ]);
    expect(await getEscrow(deps, TENANT, id)).toMatchObject({ status: "REFUNDED", needsOpsAttention: false });
  });
});
