import * as z from "zod";
import { DEFAULT_CURRENCIES } from "../domain/money";

/**
 * Reads and checks the environment once, at cold start, and fails fast: a
 * function whose environment is wrong never answers a request. The stack sets
 * each variable together with the IAM grant it implies.
 */
const EnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  STATE_MACHINE_ARN: z.string().startsWith("arn:"),
  SUPPORTED_CURRENCIES: z
    .string()
    .regex(/^[A-Z]{3}(,[A-Z]{3})*$/, "a comma-separated list of ISO 4217 codes")
    .default(DEFAULT_CURRENCIES.join(",")),
  PAYMENT_PROVIDER: z.enum(["sandbox"]).default("sandbox"),
});
export type Env = z.infer<typeof EnvSchema>;

export function loadEnv<K extends keyof Env>(
  names: readonly K[],
  env: NodeJS.ProcessEnv = process.env,
): Pick<Env, K> {
  const picked = Object.fromEntries(names.map((n) => [n, true]));
  const result = (EnvSchema.pick(picked as never) as z.ZodType<unknown>).safeParse(env);
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Invalid function configuration: ${detail}`);
  }
  return result.data as unknown as Pick<Env, K>;
}
