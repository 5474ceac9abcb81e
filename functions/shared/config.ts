import * as z from "zod/mini";
import { DEFAULT_CURRENCIES } from "../domain/money";

/**
 * Reads and checks the environment once, at cold start, and fails fast: a
 * function whose environment is wrong never answers a request. The stack sets
 * each variable together with the IAM grant it implies.
 */
const EnvSchema = z.object({
  TABLE_NAME: z.string().check(z.minLength(1)),
  STATE_MACHINE_ARN: z.string().check(z.startsWith("arn:")),
  SUPPORTED_CURRENCIES: z._default(
    z.string().check(z.regex(/^[A-Z]{3}(,[A-Z]{3})*$/, "a comma-separated list of ISO 4217 codes")),
    DEFAULT_CURRENCIES.join(","),
  ),
  PAYMENT_PROVIDER: z._default(z.enum(["sandbox"]), "sandbox"),
});
export type Env = z.infer<typeof EnvSchema>;

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
