import { readFileSync } from "node:fs";
import { FUNCTIONS, type FunctionSpec } from "../../../infra/service-functions";
import { type AslDefinition, loadDefinition } from "./definition";

/**
 * The workflow as deployed: statemachines/escrow.asl.json with each
 * definition substitution replaced by the ARN of the function the stack
 * gives it (infra/service-functions.ts is the one list of functions, read by
 * the stack and the local runtime alike).
 */

export const ASL_FILE = new URL("../../../statemachines/escrow.asl.json", import.meta.url);

const ARN_PREFIX = "arn:aws:lambda:us-east-1:000000000000:function:";
export const functionArn = (id: string) => `${ARN_PREFIX}${id}`;
/** The function a task names (by the ARN its substitution became). */
export const functionIdOf = (arn: string): string | null =>
  arn.startsWith(ARN_PREFIX) ? arn.slice(ARN_PREFIX.length) : null;

/** The functions the definition can name: every function with a definition substitution. */
export const TASK_FUNCTIONS: readonly FunctionSpec[] = FUNCTIONS.filter((f) => f.substitution !== undefined);

export function substitutions(): Record<string, string> {
  return Object.fromEntries(TASK_FUNCTIONS.map((f) => [f.substitution as string, functionArn(f.id)]));
}

export const workflowText = (): string => readFileSync(ASL_FILE, "utf8");

export const loadWorkflow = (): AslDefinition => loadDefinition(workflowText(), substitutions());
