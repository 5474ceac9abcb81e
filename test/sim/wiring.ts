import { App } from "aws-cdk-lib";
import { toProblem } from "../../functions/api/problem";
import { requestHash } from "../../functions/api/request-hash";
import { DEFAULT_BODY_SETTINGS, type FunctionRoute, ROUTES, SCOPES } from "../../functions/api/routes";
import { createEscrow, getEscrow, performAction } from "../../functions/app/escrow-service";
import { addEvidence } from "../../functions/app/evidence";
import { issueHandoverCode } from "../../functions/app/handover";
import { reconcile } from "../../functions/app/reconcile";
import {
  applyDeadline,
  beginWait,
  escalateToOps,
  holdFunds,
  recordPaymentFailure,
  settle,
} from "../../functions/app/workflow-tasks";
import { ValidationError } from "../../functions/domain/errors";
import type { ActionCommand } from "../../functions/domain/escrow";
import { PARK_AFTER_SECONDS } from "../../functions/domain/workflow-step";
import type { EscrowStore } from "../../functions/ports/escrow-store";
import type { EventPublisher } from "../../functions/ports/events";
import type { PaymentProvider } from "../../functions/ports/payment-provider";
import type { WorkflowEngine } from "../../functions/ports/workflow";
import { logger } from "../../functions/shared/logger";
import { TIMEOUTS } from "../../infra/constructs/service-function";
import { settingsFromContext } from "../../infra/constructs/settings";
import type { StoreData } from "./ports/store-data";
import type { WorkflowData } from "./ports/workflow";

/**
 * The one place that knows how the service's code is called: each task
 * function the ASL names (by its definition substitution) → the workflow task
 * it runs, each API route → the use case its handler calls, the reconciler,
 * and the deployed settings they run with — each with the same dependencies
 * its Lambda handler gives it (functions/workflow/*.ts, functions/api/*.ts).
 * When a port or a use case changes, this file and test/sim/ports change.
 */

export interface SimPorts {
  store: EscrowStore;
  workflow: WorkflowEngine;
  events: EventPublisher;
  payments: PaymentProvider;
  now: () => Date;
}

const deployed = settingsFromContext(new App().node);

export const SETTINGS = {
  /** ESCROW_RECONCILE_SECONDS as the stack sets it (its default), and REMINDER_EARLY_SECONDS = the period. */
  reconcileSeconds: deployed.reconcileSeconds,
  parkAfterSeconds: PARK_AFTER_SECONDS,
  timeoutMs: { api: TIMEOUTS.api.toMilliseconds(), task: TIMEOUTS.task.toMilliseconds() },
  tenantId: "sim",
};

/** Who ops actions are recorded as (a machine client's token names its client id twice). */
const OPS_USER = { id: "sim-ops", name: "sim-ops" };

// biome-ignore lint/suspicious/noExplicitAny: a task's payload is what the definition's Parameters build
type Payload = any;

/** Task function id (FunctionSpec.id) → what its handler runs. */
export const TASK_BODIES: Readonly<Record<string, (p: SimPorts, payload: Payload) => Promise<unknown>>> = {
  HoldFunds: (p, input) => holdFunds({ store: p.store, payments: p.payments, now: p.now }, input),
  RecordPaymentFailure: (p, input) =>
    recordPaymentFailure({ store: p.store, payments: p.payments, events: p.events, now: p.now }, input),
  BeginWait: (p, input) =>
    beginWait(
      {
        store: p.store,
        workflow: p.workflow,
        events: p.events,
        now: p.now,
        parkAfterSeconds: SETTINGS.parkAfterSeconds,
        reminderEarlySeconds: SETTINGS.reconcileSeconds,
      },
      input,
    ),
  ApplyDeadline: (p, input) => applyDeadline({ store: p.store, now: p.now }, input),
  SettleEscrow: (p, input) =>
    settle({ store: p.store, payments: p.payments, events: p.events, now: p.now }, input),
  EscalateToOps: (p, input) => escalateToOps({ store: p.store, events: p.events, now: p.now }, input),
};

/** The reconciler's scheduled run, with its handler's budget (its timeout less 5 s). */
export const runReconciler = (p: SimPorts) =>
  reconcile(
    { ...p, reminderEarlySeconds: SETTINGS.reconcileSeconds, periodSeconds: SETTINGS.reconcileSeconds },
    { budgetMs: SETTINGS.timeoutMs.task - 5_000 },
  );

/**
 * Whether a reconciler run now would do anything but read an empty index:
 * the simulation skips runs that would not (a five-year lease would
 * otherwise be 500,000 runs). The record is all it reads: its due marks.
 */
export function reconcilerHasWork(data: { store: StoreData; workflow: WorkflowData }, at: number): boolean {
  return data.store.anyDue(new Date(at).toISOString());
}

/** Whether readers see the escrow: not a creation no answer has confirmed (functions/app/readable.ts). */
export { readable } from "../../functions/app/readable";

/** What a skipped run would have left behind: nothing (the due index is its own checkpoint). */
export function skipIdleReconcilerRun(_data: { store: StoreData }, _at: number): void {}

// ---------------------------------------------------------------- the API

export type RouteId = (typeof ROUTES)[number]["id"];
const routes = new Map<string, FunctionRoute>(
  ROUTES.filter((r) => r.kind !== "gateway").map((r) => [r.id, r as FunctionRoute]),
);
/** Each route's body schema, built once as each handler builds it at its cold start. */
const bodySchemas = new Map(
  [...routes.values()].map((r) => [r.id, r.body?.(DEFAULT_BODY_SETTINGS)] as const),
);

export interface ApiRequest {
  routeId: RouteId;
  escrowId: string | null;
  body: unknown;
  idempotencyKey?: string;
}

export interface ApiAnswer {
  status: number;
  body: unknown;
}

/** The path a request was made to (what its Idempotency-Key is bound to). */
export function pathOf(route: FunctionRoute, escrowId: string | null): string {
  return route.path.replace("{id}", escrowId ?? "");
}

/** A request as its handler serves it: the body checked by the route's schema, one use case, errors mapped once. */
export async function serve(p: SimPorts, request: ApiRequest): Promise<ApiAnswer> {
  const route = routes.get(request.routeId);
  if (!route) throw new Error(`no route ${request.routeId}`);
  const tenantId = SETTINGS.tenantId;
  const escrowId = request.escrowId ?? "";
  try {
    let body: unknown;
    const schema = bodySchemas.get(route.id);
    if (schema) {
      const parsed = schema.safeParse(request.body);
      // A 400, as the handler answers it (the wording of its field errors does not matter here).
      if (!parsed.success) throw new ValidationError("The request is invalid.", []);
      body = parsed.data;
    }
    const idem =
      request.idempotencyKey !== undefined && route.idempotencyKey
        ? {
            key: request.idempotencyKey,
            requestHash: requestHash(route.method, pathOf(route, request.escrowId), request.body),
          }
        : undefined;
    const deps = { store: p.store, workflow: p.workflow, payments: p.payments, now: p.now };
    if (route.kind === "action") {
      const by = route.scopes.includes(SCOPES.ops) ? OPS_USER : undefined;
      const a = await performAction(deps, tenantId, escrowId, body as ActionCommand, idem, by);
      return { status: a.statusCode, body: a.escrow };
    }
    switch (route.id) {
      case "CreateEscrow": {
        if (!idem)
          return { status: 400, body: { code: "validation_error", detail: "Idempotency-Key is required" } };
        const a = await createEscrow(deps, tenantId, body as Parameters<typeof createEscrow>[2], idem);
        return { status: a.statusCode, body: a.escrow };
      }
      case "IssueHandoverCode":
        return {
          status: 201,
          body: await issueHandoverCode(deps, { tenantId, escrowId }, (body as { actorId: string }).actorId),
        };
      case "AddEvidence": {
        const a = await addEvidence(
          { store: p.store, events: p.events, now: p.now },
          { tenantId, escrowId },
          body as Parameters<typeof addEvidence>[2],
          idem,
        );
        return { status: a.statusCode, body: a.evidence };
      }
      case "GetEscrow":
        return { status: 200, body: await getEscrow(deps, tenantId, escrowId) };
    }
    throw new Error(`the simulation does not serve ${route.id}`);
  } catch (error) {
    const problem = toProblem(error);
    return { status: problem.statusCode, body: JSON.parse(problem.body) as unknown };
  }
}

/** Keeps the service's logs out of the simulation's output (its warnings go to the trace instead). */
export function silenceServiceLogs(): () => void {
  const before = logger.getLevelName();
  logger.setLogLevel("SILENT");
  return () => logger.setLogLevel(before);
}
