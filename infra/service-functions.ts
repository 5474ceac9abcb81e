/**
 * Every Lambda function of the service: its source, the environment it reads
 * and the access it needs. API functions come from the route table
 * (functions/api/routes.ts), one per route; the workflow's task functions are
 * listed here. The stack builds functions, routes and grants from this list;
 * the local runtime reads them back from the synthesized template.
 */

import { TABLE } from "../functions/adapters/table-schema";
import {
  AddEvidence,
  AddNote,
  AssignEscrow,
  FUNCTION_ROUTES,
  type FunctionRoute,
  GetOpsEscrow,
  ListEscrowEvents,
  ListEscrows,
  ListEvidence,
  ListOpsEscrows,
  ResumeEscrow,
} from "../functions/api/routes";
import { KIND_ROUTES } from "../functions/domain/kinds/api";
import type { Env } from "../functions/shared/config";

/** The variables a function may read: the keys of the one environment schema (functions/shared/config.ts). */
export type EnvName = keyof Env;

/** The service's SNS topics: escrow events (marketplaces subscribe) and ops alerts. */
export type TopicName = "events" | "opsAlerts";

export type IndexName = (typeof TABLE.indexes)[keyof typeof TABLE.indexes]["name"];

/**
 * The calls a function makes on the table, each granted on its own: item
 * calls on the table, and queries on the table's own key (`table`) or on
 * named indexes (never `index/*`). Least privilege is proven by use: the
 * local service refuses what is not here, and the least-privilege report
 * (`npm run iam:report`) fails on what is here and no recorded run used.
 */
export interface TableAccess {
  items: readonly ("GetItem" | "BatchGetItem" | "PutItem" | "UpdateItem" | "DeleteItem")[];
  query?: readonly ("table" | IndexName)[];
}

/** A grant no local run exercises, and why it is needed all the same (see infra/constructs/grant-justification.ts). */
export interface UnexercisedGrant {
  /** IAM actions (wildcards allowed), e.g. `dynamodb:PutItem`. */
  actions: string[];
  reason: string;
}

export interface FunctionSpec {
  /** CloudFormation-friendly id, also the local runtime's name for it. */
  id: string;
  /** Source file, relative to the repository root; the handler is its `handler` export. */
  entry: string;
  /** `console`: serves the ops console page; `trigger`: the user pool's pre-token-generation trigger. */
  role: "api" | "task" | "console" | "trigger";
  env: EnvName[];
  table: TableAccess;
  /** states:StartExecution on the escrow state machine. */
  startsExecutions?: boolean;
  /** states:SendTaskSuccess on the escrow state machine (ends waits). */
  endsWaits?: boolean;
  /** The topics it publishes to (sns:Publish on each, and its key's use): escrow events, ops alerts. */
  publishes?: readonly TopicName[];
  /** The reconciler: on a schedule, describes the one execution each due escrow's record names, besides starting and signalling them. */
  reconciles?: boolean;
  /**
   * states:DescribeExecution on the state machine's executions: the reconciler, and an action that
   * ends a parked wait (it starts the continuation only once the parked execution has ended).
   */
  describesExecutions?: boolean;
  /** states:DescribeExecution and GetExecutionHistory on the state machine's executions (the ops view). */
  readsExecutions?: boolean;
  /** Its bundle carries the ops console's built page (console/, beside index.js). */
  consoleAssets?: boolean;
  /** The API route it serves (API functions only). */
  route?: FunctionRoute;
  /** ASL definition substitution that carries this function's ARN. */
  substitution?: string;
  /** Its grants that no local run exercises, each with the reason it is still needed. */
  notExercisedLocally?: UnexercisedGrant[];
}

/**
 * What every function that opens the store reads (functions/shared/store.ts): the table, and how early a
 * reminder's mark is set (every write of an escrow sets its one due mark).
 */
const STORE_ENV: EnvName[] = ["TABLE_NAME", "REMINDER_EARLY_SECONDS"];

/** `CreateEscrow` → `create-escrow`: the handler file is named for what the route does. */
const kebab = (id: string) => id.replace(/[A-Z]/g, (c, i: number) => `${i ? "-" : ""}${c.toLowerCase()}`);

/**
 * Every API function reads its caller's tenant (the client's registration item, GetItem, once per
 * container). Locally all functions share one process and that cache, so a function whose own
 * work is not a GetItem (the lists) may never be seen making it.
 */
const TENANT_LOOKUP: UnexercisedGrant = {
  actions: ["dynamodb:GetItem"],
  reason:
    "The caller's tenant is read from the table once per container (functions/adapters/dynamo-tenant-directory.ts); locally every function shares one process and that cache.",
};

/** What each kind of route does on the table; the reads that query name their indexes. */
const TABLE_ACCESS: Record<FunctionRoute["kind"], TableAccess> = {
  read: { items: ["GetItem"] },
  create: { items: ["GetItem", "PutItem", "UpdateItem"] },
  action: { items: ["GetItem", "PutItem", "UpdateItem"] },
  issue: { items: ["GetItem", "PutItem"] },
  record: { items: ["GetItem", "PutItem", "UpdateItem"], query: ["table"] },
  // A preview reads the escrow and decides nothing.
  query: { items: ["GetItem"] },
  // Who holds the case: the desk item beside the escrow (read, then written), and the ops view after.
  update: { items: ["GetItem", "PutItem", "UpdateItem"], query: ["table"] },
  // A document about the API is built from the route table in the function itself: no table at all.
  document: { items: [] },
};
const READS: Record<string, TableAccess> = {
  // Lists read a page of keys from an index, then the items (BatchGetItem).
  [ListEscrows.id]: {
    items: ["GetItem", "BatchGetItem"],
    query: [TABLE.indexes.byBuyer.name, TABLE.indexes.bySeller.name, TABLE.indexes.byTenant.name],
  },
  // The queue: a page of keys, the escrows and their ops desks (assignee, evidence counted) at once.
  [ListOpsEscrows.id]: {
    items: ["GetItem", "BatchGetItem"],
    query: [TABLE.indexes.opsQueue.name, TABLE.indexes.byTenant.name],
  },
  // The ops view: the escrow, its wait, its desk and notes (items under its partition key).
  [GetOpsEscrow.id]: { items: ["GetItem"], query: ["table"] },
  // A note is put beside the escrow; the limit is counted from the notes there.
  [AddNote.id]: { items: ["GetItem", "PutItem"], query: ["table"] },
  // An escrow's own items (its evidence) sit under its partition key.
  [ListEscrowEvents.id]: { items: ["GetItem"], query: ["table"] },
  [ListEvidence.id]: { items: ["GetItem"], query: ["table"] },
};

/** An action's grants that only some of its calls use. */
const ACTION_UNEXERCISED: UnexercisedGrant[] = [
  {
    actions: ["dynamodb:PutItem"],
    reason:
      "An action sent with an Idempotency-Key (optional) stores its answer; the suites send keys with some actions (delivery, confirmation, cancellation...), not with every one.",
  },
  {
    actions: ["states:StartExecution", "states:DescribeExecution"],
    reason:
      "An action that ends a parked wait (longer than PARK_AFTER_SECONDS) makes sure the parked execution has ended, then starts the continuation; the suites park the waits that cancellation and move-out end.",
  },
];

/** The ops view names the escrow's execution and reads it from Step Functions (and links to it). */
const OPS_VIEW = {
  env: [...STORE_ENV, "STATE_MACHINE_ARN", "EXECUTION_CONSOLE_URL"] as EnvName[],
  readsExecutions: true,
};

/** A write beside the escrow whose answer is stored only when the request carries an Idempotency-Key. */
const KEYED_ANSWER: UnexercisedGrant = {
  actions: ["dynamodb:PutItem"],
  reason:
    "A request sent with an Idempotency-Key (optional) stores its answer for replays; the ops console always sends one, the end-to-end suite does not on every route.",
};

/** What each kind of route needs beyond reading the table. */
const api = (route: FunctionRoute): FunctionSpec => ({
  id: route.id,
  // A kind's own action is served by the one entry of the kinds' actions; every other route by its own file.
  entry: KIND_ROUTES.some((r) => r.id === route.id)
    ? "functions/api/kind-action.ts"
    : `functions/api/${kebab(route.id)}.ts`,
  role: "api",
  env: STORE_ENV,
  table: READS[route.id] ?? TABLE_ACCESS[route.kind],
  notExercisedLocally: [
    TENANT_LOOKUP,
    ...(route.kind === "action" ? ACTION_UNEXERCISED : []),
    ...(route.id === AssignEscrow.id ? [KEYED_ANSWER] : []),
  ],
  route,
  // Served without a token (no tenant to look up), from no table and no variable.
  ...(route.kind === "document" ? { env: [], notExercisedLocally: [] } : {}),
  ...(route.kind === "create"
    ? {
        env: [...STORE_ENV, "STATE_MACHINE_ARN", "SUPPORTED_CURRENCIES", "PAYMENT_PROVIDER", "CELL_ID"],
        startsExecutions: true,
      }
    : {}),
  // An action ends a live wait, or starts the continuation of a parked one.
  ...(route.kind === "action"
    ? {
        env: [...STORE_ENV, "STATE_MACHINE_ARN", "PAYMENT_PROVIDER"],
        endsWaits: true,
        startsExecutions: true,
        describesExecutions: true,
      }
    : {}),
  // A piece of evidence is announced by the request that adds it (a failed publish is left to the
  // reconciler); an ops note never reaches an event.
  ...(route.id === AddEvidence.id
    ? { env: [...STORE_ENV, "EVENTS_TOPIC_ARN"] as EnvName[], publishes: ["events"] as const }
    : {}),
  // The ops view, and the assignment that answers with it.
  ...(route.id === GetOpsEscrow.id || route.kind === "update" ? OPS_VIEW : {}),
  // An escrow that needs ops is parked with no live wait: a resume starts the continuation — once the
  // execution that parked it has ended, which it asks about when that was a moment ago.
  ...(route.id === ResumeEscrow.id ? { endsWaits: false } : {}),
});

/** A task takes its step with one conditional write on the escrow it reads. */
const TAKES_A_STEP: TableAccess = { items: ["GetItem", "UpdateItem"] };

const task = (id: string, extra: Partial<FunctionSpec> = {}): FunctionSpec => ({
  id,
  entry: `functions/workflow/${kebab(id)}.ts`,
  role: "task",
  env: STORE_ENV,
  table: TAKES_A_STEP,
  substitution: `${id}FunctionArn`,
  ...extra,
});

const PAYS: EnvName[] = ["PAYMENT_PROVIDER"];
/**
 * What a task that announces its step reads (functions/shared/events.ts reads both topics), and
 * the topics it publishes to: escrow events, and ops alerts where its steps carry one (an
 * escalation's `escrow.needs_ops`, an unresolved dispute's refund).
 */
const ANNOUNCES = {
  // An ops alert links to the escrow's page in the ops console.
  env: ["EVENTS_TOPIC_ARN", "OPS_ALERTS_TOPIC_ARN", "OPS_CONSOLE_URL"] as EnvName[],
  publishes: ["events", "opsAlerts"] as const,
};
const ANNOUNCES_EVENTS = { env: ANNOUNCES.env, publishes: ["events"] as const };
const env = (...groups: EnvName[][]): EnvName[] => [...STORE_ENV, ...groups.flat()];

export const FUNCTIONS: FunctionSpec[] = [
  ...FUNCTION_ROUTES.map(api),

  task("HoldFunds", { env: env(PAYS) }),
  // A cancellation carries no ops alert.
  task("RecordPaymentFailure", { ...ANNOUNCES_EVENTS, env: env(PAYS, ANNOUNCES.env) }),
  // A wait announces the events of the steps before it, never an alert; it writes its own wait item.
  task("BeginWait", {
    ...ANNOUNCES_EVENTS,
    env: env(["STATE_MACHINE_ARN", "PARK_AFTER_SECONDS"], ANNOUNCES.env),
    // Its own wait item (PutItem); a park (or an owed event) marks the escrow (UpdateItem).
    table: { items: ["GetItem", "PutItem", "UpdateItem"] },
    endsWaits: true,
  }),
  task("ApplyDeadline"),
  // It reads the wait's watermark to announce what no wait did.
  task("SettleEscrow", { ...ANNOUNCES, env: env(PAYS, ANNOUNCES.env) }),
  // An escalation announces no escrow event: only its ops alert.
  task("EscalateToOps", {
    ...ANNOUNCES,
    publishes: ["opsAlerts"] as const,
    env: env(ANNOUNCES.env),
    // Its step, and the wait it parks for ops (exercised locally by a refused payout).
    table: { items: ["GetItem", "PutItem", "UpdateItem"] },
  }),
  // On a schedule, not in the definition: brings stranded escrows back to where their records say.
  {
    ...task("Reconciler", { entry: "functions/workflow/reconcile.ts", ...ANNOUNCES }),
    substitution: undefined,
    env: env(["STATE_MACHINE_ARN", "RECONCILE_SECONDS"], ANNOUNCES.env),
    // The due index; an escrow's own items (its evidence); its marks and wait (a continuation); a creation
    // no answer confirmed is removed.
    table: {
      items: ["GetItem", "PutItem", "UpdateItem", "DeleteItem"],
      query: ["table", TABLE.indexes.byDue.name],
    },
    startsExecutions: true,
    endsWaits: true,
    reconciles: true,
    describesExecutions: true,
    notExercisedLocally: [
      {
        actions: ["sns:Publish", "kms:GenerateDataKey", "kms:Decrypt"],
        reason:
          "It publishes an ops alert its task could not (SNS down while escalating or settling an unresolved dispute); the suites fail SNS only around escrow events.",
      },
    ],
  },
  // The ops console (API.md v1.2): its page and hashed assets, on the API's own origin under /ops/.
  {
    id: "OpsConsole",
    entry: "functions/console/serve.ts",
    role: "console",
    env: ["OPS_CONSOLE_CLIENT_ID", "OPS_AUTH_URL", "OPS_CONSOLE_ASSETS"],
    table: { items: [] },
    consoleAssets: true,
  },
  // A signed-in person's tenant, from the user's `custom:tenant`, into the access token.
  {
    id: "AddTenantClaim",
    entry: "functions/auth/add-tenant-claim.ts",
    role: "trigger",
    env: [],
    table: { items: [] },
  },
];
