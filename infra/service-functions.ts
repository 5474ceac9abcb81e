/**
 * Every Lambda function of the service: its source, the environment it reads
 * and the access it needs. API functions come from the route table
 * (functions/api/routes.ts), one per route; the workflow's task functions are
 * listed here. The stack builds functions, routes and grants from this list;
 * the local runtime reads them back from the synthesized template.
 */
import { FUNCTION_ROUTES, type FunctionRoute, GetOpsEscrow } from "../functions/api/routes";
import type { Env } from "../functions/shared/config";

/** The variables a function may read: the keys of the one environment schema (functions/shared/config.ts). */
export type EnvName = keyof Env;

/** The service's SNS topics: escrow events (marketplaces subscribe) and ops alerts. */
export type TopicName = "events" | "opsAlerts";

export interface FunctionSpec {
  /** CloudFormation-friendly id, also the local runtime's name for it. */
  id: string;
  /** Source file, relative to the repository root; the handler is its `handler` export. */
  entry: string;
  role: "api" | "task";
  env: EnvName[];
  table: "read" | "write";
  /** states:StartExecution on the escrow state machine. */
  startsExecutions?: boolean;
  /** states:SendTaskSuccess on the escrow state machine (ends waits). */
  endsWaits?: boolean;
  /** The topics it publishes to (sns:Publish on each, and its key's use): escrow events, ops alerts. */
  publishes?: readonly TopicName[];
  /** The reconciler: describes the one execution each due escrow's record names, besides starting and signalling them. */
  reconciles?: boolean;
  /** The API route it serves (API functions only). */
  route?: FunctionRoute;
  /** ASL definition substitution that carries this function's ARN. */
  substitution?: string;
}

/**
 * What every function that opens the store reads (functions/shared/store.ts): the table, and how early a
 * reminder's mark is set (every write of an escrow sets its one due mark).
 */
const STORE_ENV: EnvName[] = ["TABLE_NAME", "REMINDER_EARLY_SECONDS"];

/** `CreateEscrow` → `create-escrow`: the handler file is named for what the route does. */
const kebab = (id: string) => id.replace(/[A-Z]/g, (c, i: number) => `${i ? "-" : ""}${c.toLowerCase()}`);

/** What each kind of route needs beyond reading the table. */
const api = (route: FunctionRoute): FunctionSpec => ({
  id: route.id,
  entry: `functions/api/${kebab(route.id)}.ts`,
  role: "api",
  env: STORE_ENV,
  table: route.method === "GET" ? "read" : "write",
  route,
  ...(route.kind === "create"
    ? {
        env: [...STORE_ENV, "STATE_MACHINE_ARN", "SUPPORTED_CURRENCIES", "PAYMENT_PROVIDER"],
        startsExecutions: true,
      }
    : {}),
  // An action ends a live wait, or starts the continuation of a parked one.
  ...(route.kind === "action"
    ? { env: [...STORE_ENV, "STATE_MACHINE_ARN"], endsWaits: true, startsExecutions: true }
    : {}),
  // A piece of evidence is announced by the request that adds it (a failed publish is left to the reconciler).
  ...(route.kind === "record"
    ? { env: [...STORE_ENV, "EVENTS_TOPIC_ARN"] as EnvName[], publishes: ["events"] as const }
    : {}),
  // The ops view names the escrow's execution (an ARN built from the state machine's; no call, no grant).
  ...(route.id === GetOpsEscrow.id ? { env: [...STORE_ENV, "STATE_MACHINE_ARN"] } : {}),
});

const task = (id: string, extra: Partial<FunctionSpec> = {}): FunctionSpec => ({
  id,
  entry: `functions/workflow/${kebab(id)}.ts`,
  role: "task",
  env: STORE_ENV,
  table: "write",
  substitution: `${id}FunctionArn`,
  ...extra,
});

const PAYS: EnvName[] = ["PAYMENT_PROVIDER"];
/** What a task that announces its step (escrow events, ops alerts) reads; it also gets sns:Publish. */
const ANNOUNCES = {
  env: ["EVENTS_TOPIC_ARN", "OPS_ALERTS_TOPIC_ARN"] as EnvName[],
  publishes: ["events", "opsAlerts"] as const,
};
const env = (...groups: EnvName[][]): EnvName[] => [...STORE_ENV, ...groups.flat()];

export const FUNCTIONS: FunctionSpec[] = [
  ...FUNCTION_ROUTES.map(api),

  task("HoldFunds", { env: env(PAYS) }),
  task("RecordPaymentFailure", { ...ANNOUNCES, env: env(PAYS, ANNOUNCES.env) }),
  task("BeginWait", {
    ...ANNOUNCES,
    env: env(["STATE_MACHINE_ARN", "PARK_AFTER_SECONDS"], ANNOUNCES.env),
    endsWaits: true,
  }),
  task("ApplyDeadline"),
  task("SettleEscrow", { ...ANNOUNCES, env: env(PAYS, ANNOUNCES.env) }),
  task("EscalateToOps", { ...ANNOUNCES, env: env(ANNOUNCES.env) }),
  // On a schedule, not in the definition: brings stranded escrows back to where their records say.
  {
    ...task("Reconciler", { entry: "functions/workflow/reconcile.ts", ...ANNOUNCES }),
    substitution: undefined,
    env: env(["STATE_MACHINE_ARN", "RECONCILE_SECONDS"], ANNOUNCES.env),
    startsExecutions: true,
    endsWaits: true,
    reconciles: true,
  },
];
