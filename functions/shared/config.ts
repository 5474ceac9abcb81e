import * as z from "zod/mini";
import { DEFAULT_CURRENCIES } from "../domain/money";
import { PARK_AFTER_SECONDS } from "../domain/workflow-step";

/** SUPPORTED_CURRENCIES: ISO 4217 codes, comma-separated (the stack checks its setting against it too). */
export const CURRENCY_LIST = /^[A-Z]{3}(,[A-Z]{3})*$/;

/**
 * Reads and checks the environment once, at cold start, and fails fast: a
 * function whose environment is wrong never answers a request. The stack sets
 * each variable together with the IAM grant it implies.
 */
const EnvSchema = z.object({
  TABLE_NAME: z.string().check(z.minLength(1)),
  STATE_MACHINE_ARN: z.string().check(z.startsWith("arn:")),
  SUPPORTED_CURRENCIES: z._default(
    z.string().check(z.regex(CURRENCY_LIST, "a comma-separated list of ISO 4217 codes")),
    DEFAULT_CURRENCIES.join(","),
  ),
  PAYMENT_PROVIDER: z._default(z.enum(["sandbox"]), "sandbox"),
  EVENTS_TOPIC_ARN: z.string().check(z.startsWith("arn:")),
  OPS_ALERTS_TOPIC_ARN: z.string().check(z.startsWith("arn:")),
  /** Waits longer than this park in the record (ARCHITECTURE v1.1 decision 3); lowered only in tests. */
  PARK_AFTER_SECONDS: z._default(z.coerce.number().check(z.int(), z.minimum(1)), PARK_AFTER_SECONDS),
  /**
   * How far ahead of its time the reconciler may publish a reminder: its own period in AWS (so a
   * short lead is never missed between two runs); 0 locally, where it is woken when a mark comes due.
   */
  REMINDER_EARLY_SECONDS: z._default(z.coerce.number().check(z.int(), z.minimum(0)), 0),
  /** The cell this stack is (context `cellId`): new escrow ids carry it; empty for the home cell. */
  CELL_ID: z._default(z.string().check(z.regex(/^([a-z][a-z0-9]{0,7})?$/, "a cell id, or empty")), ""),
  /** Seconds between the reconciler's runs: a mark it could not handle comes due again after this. */
  RECONCILE_SECONDS: z._default(z.coerce.number().check(z.int(), z.minimum(1)), 300),
  /** The ops console's URL (ends with `/ops/`): ops alerts link to an escrow's page under it. */
  OPS_CONSOLE_URL: z.string().check(z.regex(/^https?:\/\/.+\/ops\/$/, "an http(s) URL ending in /ops/")),
  /**
   * An execution's page for ops, with `{executionArn}` in it: the Step Functions console in AWS, the
   * local console's execution view locally.
   */
  EXECUTION_CONSOLE_URL: z
    .string()
    .check(z.regex(/^https?:\/\/.*\{executionArn\}/, "an http(s) URL with {executionArn}")),
  /** The console's app client (authorization code with PKCE; no secret). */
  OPS_CONSOLE_CLIENT_ID: z.string().check(z.minLength(1)),
  /** Where the console signs people in: the user pool's domain (`/oauth2/authorize`, `/oauth2/token`). */
  OPS_AUTH_URL: z.string().check(z.regex(/^https?:\/\/[^/]+$/, "an http(s) origin without a path")),
  /** The console's built page (manifest.json, assets/): `console/` beside the bundle in AWS, built at start locally. */
  OPS_CONSOLE_ASSETS: z._default(z.string().check(z.minLength(1)), "console"),
});
export type Env = z.infer<typeof EnvSchema>;
/** The names of the environment variables functions read (the stack sets each with its grant). */
export type EnvName = keyof Env;

export function loadEnv<K extends keyof Env>(
  names: readonly K[],
  env: NodeJS.ProcessEnv = process.env,
): Pick<Env, K> {
  const picked = Object.fromEntries(names.map((n) => [n, true])) as Record<K, true>;
  const result = z.pick(EnvSchema, picked as never).safeParse(env);
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Invalid function configuration: ${detail}`);
  }
  return result.data as unknown as Pick<Env, K>;
}
