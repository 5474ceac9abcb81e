/**
 * Every Lambda function of the service: its source, the environment it reads
 * and the access it needs. The stack builds functions, routes and grants from
 * this list; the local runtime reads them back from the synthesized template.
 */

export type Scope = "escrow/marketplace" | "escrow/ops";
export const MARKETPLACE: Scope = "escrow/marketplace";
export const OPS: Scope = "escrow/ops";

export type EnvName = "TABLE_NAME" | "STATE_MACHINE_ARN" | "SUPPORTED_CURRENCIES" | "PAYMENT_PROVIDER";

export interface Route {
  method: "GET" | "POST";
  path: string;
  scopes: Scope[];
}

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
  route?: Route;
  /** ASL definition substitution that carries this function's ARN. */
  substitution?: string;
}

const api = (
  id: string,
  file: string,
  method: Route["method"],
  path: string,
  scopes: Scope[],
  extra: Partial<FunctionSpec> = {},
): FunctionSpec => ({
  id,
  entry: `functions/api/${file}.ts`,
  role: "api",
  env: ["TABLE_NAME"],
  table: method === "GET" ? "read" : "write",
  route: { method, path, scopes },
  ...extra,
});

const action = (id: string, file: string, segment: string): FunctionSpec =>
  api(id, file, "POST", `/v1/escrows/{id}/${segment}`, [MARKETPLACE], { endsWaits: true });

const task = (id: string, file: string, extra: Partial<FunctionSpec> = {}): FunctionSpec => ({
  id,
  entry: `functions/workflow/${file}.ts`,
  role: "task",
  env: ["TABLE_NAME"],
  table: "write",
  substitution: `${id}FunctionArn`,
  ...extra,
});

export const FUNCTIONS: FunctionSpec[] = [
  api("CreateEscrow", "create-escrow", "POST", "/v1/escrows", [MARKETPLACE], {
    env: ["TABLE_NAME", "STATE_MACHINE_ARN", "SUPPORTED_CURRENCIES", "PAYMENT_PROVIDER"],
    startsExecutions: true,
  }),
  api("ListEscrows", "list-escrows", "GET", "/v1/escrows", [MARKETPLACE, OPS]),
  api("GetEscrow", "get-escrow", "GET", "/v1/escrows/{id}", [MARKETPLACE, OPS]),
  api("ListEscrowEvents", "list-escrow-events", "GET", "/v1/escrows/{id}/events", [MARKETPLACE, OPS]),
  action("RecordDelivery", "record-delivery", "delivery"),
  action("ConfirmReceipt", "confirm-receipt", "confirmation"),
  action("ExtendConfirmation", "extend-confirmation", "extension"),
  action("RequestRefund", "request-refund", "refund-request"),
  action("RespondToRefund", "respond-to-refund", "refund-response"),
  action("OpenDispute", "open-dispute", "dispute"),
  action("CancelEscrow", "cancel-escrow", "cancellation"),
  api("ListOpsEscrows", "list-ops-escrows", "GET", "/v1/ops/escrows", [OPS]),
  api("ResolveEscrow", "resolve-escrow", "POST", "/v1/ops/escrows/{id}/resolution", [OPS], {
    endsWaits: true,
  }),

  task("HoldFunds", "hold-funds", { env: ["TABLE_NAME", "PAYMENT_PROVIDER"] }),
  task("RecordPaymentFailure", "record-payment-failure"),
  task("BeginWait", "begin-wait", { endsWaits: true }),
  task("ApplyDeadline", "apply-deadline"),
  task("SettleEscrow", "settle-escrow", { env: ["TABLE_NAME", "PAYMENT_PROVIDER"] }),
  task("EscalateToOps", "escalate-to-ops"),
];

/** The one route served without a token, by API Gateway itself (no Lambda). */
export const HEALTH_ROUTE = { method: "GET", path: "/v1/health" } as const;
