import type { Node } from "constructs";
import { CELL_ID, HOME_CELL } from "../../functions/domain/cells";
import { DEFAULT_CURRENCIES } from "../../functions/domain/money";
import { CURRENCY_LIST } from "../../functions/shared/config";

/**
 * Deployment settings read from CDK context (`cdk.json` or `-c key=value`).
 * Everything has a default that is safe for a first deployment, so a fresh
 * clone synthesizes with no flags at all.
 */
export interface EscrowSettings {
  /** Prefix of the Cognito hosted domain (`<prefix>.auth.<region>.amazoncognito.com`); globally unique per Region. */
  cognitoDomainPrefix?: string;
  /** Stage-wide steady-state request rate (requests per second). */
  apiRateLimit: number;
  /** Stage-wide burst (requests). */
  apiBurstLimit: number;
  /** WAF rate-based rule: requests per client IP per 5 minutes before WAF answers 429. */
  wafRateLimitPer5Min: number;
  /** SUPPORTED_CURRENCIES for the functions that read it. */
  supportedCurrencies: string;
  /** PAYMENT_PROVIDER for the functions that read it. */
  paymentProvider: string;
  /** POWERTOOLS_LOG_LEVEL of every function. */
  logLevel: string;
  /**
   * Create the Region-wide API Gateway account setting (the CloudWatch role
   * that access and execution logging need). Turn off when the account
   * already manages it elsewhere: there is one per account and Region.
   */
  apiGatewayCloudWatchRole: boolean;
  /** How often the reconciler runs (ESCROW_RECONCILE_SECONDS in AWS): whole minutes, default 300. */
  reconcileSeconds: number;
  /**
   * The cell this stack is (functions/domain/cells.ts): new escrow ids carry it. Unset: the home cell,
   * whose ids keep their first form (`esc_` and 26 digits).
   */
  cellId: string | null;
}

const number = (node: Node, key: string, fallback: number): number => {
  const raw = node.tryGetContext(key);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`Context ${key} must be a positive integer, got ${raw}`);
  return value;
};

const bool = (node: Node, key: string, fallback: boolean): boolean => {
  const raw = node.tryGetContext(key);
  if (raw === undefined) return fallback;
  if (raw === true || raw === "true") return true;
  if (raw === false || raw === "false") return false;
  throw new Error(`Context ${key} must be true or false, got ${raw}`);
};

export function settingsFromContext(node: Node): EscrowSettings {
  const currencies = String(node.tryGetContext("supportedCurrencies") ?? DEFAULT_CURRENCIES.join(","));
  if (!CURRENCY_LIST.test(currencies))
    throw new Error(`Context supportedCurrencies must be comma-separated ISO 4217 codes, got ${currencies}`);
  const prefix = node.tryGetContext("cognitoDomainPrefix") as string | undefined;
  if (prefix !== undefined && !/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(prefix))
    throw new Error(
      `Context cognitoDomainPrefix must be lower-case letters, digits and hyphens, got ${prefix}`,
    );
  return {
    cognitoDomainPrefix: prefix,
    apiRateLimit: number(node, "apiRateLimit", 1000),
    apiBurstLimit: number(node, "apiBurstLimit", 2000),
    wafRateLimitPer5Min: number(node, "wafRateLimitPer5Min", 100_000),
    supportedCurrencies: currencies,
    paymentProvider: String(node.tryGetContext("paymentProvider") ?? "sandbox"),
    logLevel: String(node.tryGetContext("logLevel") ?? "INFO"),
    apiGatewayCloudWatchRole: bool(node, "apiGatewayCloudWatchRole", true),
    reconcileSeconds: reconcileSeconds(node),
    cellId: cellIdOf(node),
  };
}

/** EventBridge schedules run in whole minutes. */
function reconcileSeconds(node: Node): number {
  const seconds = number(node, "reconcileSeconds", 300);
  if (seconds % 60 !== 0) throw new Error(`Context reconcileSeconds must be whole minutes, got ${seconds}`);
  return seconds;
}

function cellIdOf(node: Node): string | null {
  const raw = node.tryGetContext("cellId");
  if (raw === undefined || raw === HOME_CELL) return null;
  const cell = String(raw);
  if (!CELL_ID.test(cell))
    throw new Error(
      `Context cellId must be a lower-case letter, then up to 7 letters or digits, got ${cell}`,
    );
  return cell;
}
