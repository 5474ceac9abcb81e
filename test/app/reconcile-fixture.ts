import { beforeEach } from "vitest";
import { dynamoStore } from "../../functions/adapters/dynamo-store";
import { performAction } from "../../functions/app/escrow-service";
import { type ReconcileReport, reconcile } from "../../functions/app/reconcile";
import { beginWait, holdFunds } from "../../functions/app/workflow-tasks";
import type { CreateEscrowInput } from "../../functions/domain/create-input";
import type { ActionCommand } from "../../functions/domain/escrow";
import { escrowIdFor } from "../../functions/domain/ids";
import type { EscrowStore } from "../../functions/ports/escrow-store";
import { createEscrowTable } from "../support/dynalite";
import { RecordingPublisher, RecordingWorkflow, TestPayments } from "./fakes";
import { createVia, type Dynalite, dueIds, useStore } from "./fixture";

/**
 * What the reconciler's suites share: a table of each test's own (the
 * reconciler reads every mark of its table, and counts what it did), a
 * recording workflow engine, publisher and provider, and the clock the
 * schedule runs on. The bindings are set afresh before each test of a file
 * that calls useReconciler().
 */
export let table: { store: EscrowStore; name: string };
export let payments: TestPayments;
export let events: RecordingPublisher;
export let workflow: RecordingWorkflow;
export let clock: number;
/** The clock moves on by `ms`. */
export const advance = (ms: number) => {
  clock += ms;
};
export const setClock = (at: number) => {
  clock = at;
};
export const PERIOD = 300;

export let dynalite: { readonly db: Dynalite };
let n = 0;

export function useReconciler(): void {
  dynalite = useStore();
  beforeEach(async () => {
    const tableName = `reconcile-${++n}`;
    await createEscrowTable(dynalite.db.client, tableName);
    table = { store: dynamoStore(dynalite.db.client, tableName), name: tableName };
    clock = Date.parse("2026-11-25T10:00:00.000Z");
    payments = new TestPayments();
    events = new RecordingPublisher();
    workflow = new RecordingWorkflow();
  });
}

export const deps = () => ({
  store: table.store,
  payments,
  events,
  workflow,
  now: () => new Date(clock),
  periodSeconds: PERIOD,
});
/** The reconciler, as its schedule runs it, `seconds` from now. */
export const reconcileIn = (seconds: number, options = {}): Promise<ReconcileReport> => {
  clock += seconds * 1000;
  return reconcile(deps(), options);
};

export const escrowIdOf = (key: string) => escrowIdFor("demo", key);
export const create = (overrides: Partial<CreateEscrowInput> = {}) => createVia(deps(), "demo", overrides);
export const act = (ref: { escrowId: string }, command: ActionCommand) =>
  performAction(deps(), "demo", ref.escrowId, command);
export const due = (seconds = 0) => dueIds(table.store, new Date(clock + seconds * 1000).toISOString());
export const startsOf = (id: string) =>
  workflow.started.filter((s) => s.escrowId === id).map((s) => [s.name, s.step.outcome, s.step.version]);
export const running = (id: string) =>
  [...workflow.executions.entries()].filter(([name, e]) => name.startsWith(id) && e.status === "RUNNING");
export const stop = (name: string, status: "FAILED" | "ABORTED" = "FAILED") => {
  const e = workflow.executions.get(name);
  if (e) e.status = status;
};

/** A funded escrow whose workflow waits for delivery (token `t-<id>`). */
export async function waitingForDelivery(overrides: Partial<CreateEscrowInput> = {}) {
  const ref = await create(overrides);
  await holdFunds(deps(), { ...ref, execution: ref.escrowId });
  await beginWait(deps(), {
    ...ref,
    seenVersion: 2,
    taskToken: `t-${ref.escrowId}`,
    execution: ref.escrowId,
  });
  return ref;
}
