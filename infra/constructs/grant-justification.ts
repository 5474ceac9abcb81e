import type { CfnResource } from "aws-cdk-lib";
import type { ManagedPolicy, PolicyStatement } from "aws-cdk-lib/aws-iam";

/**
 * A grant that no local run can exercise, with the reason it is still
 * needed. Least privilege is proven by use (the least-privilege report,
 * infra/local/iam): a granted permission that no recorded run used fails the
 * build unless it is declared here, next to the grant, e.g.
 *
 *   justify(new PolicyStatement({ actions: ["logs:PutLogEvents"], … }), "the Lambda runtime writes the logs")
 *
 * The reasons are written into the template (Metadata
 * `escrow:grantsNotExercisedLocally` of the policy), where the report reads
 * them, so a new function's grants are covered the same way.
 */
export const NOT_EXERCISED_METADATA = "escrow:grantsNotExercisedLocally";

export interface GrantJustification {
  actions: string[];
  /** The statement's resources (as the template writes them); all of them when absent. */
  resources?: string[];
  reason: string;
}

const reasons = new WeakMap<PolicyStatement, string>();

/** Marks a statement as needed in AWS although no local run exercises it; returns it. */
export function justify(statement: PolicyStatement, reason: string): PolicyStatement {
  if (reason.trim().length < 20) throw new Error("a justification says why, in a sentence");
  reasons.set(statement, reason);
  return statement;
}

/**
 * Writes the justifications of the statements given to the policy into its
 * template Metadata, with `more` (actions justified on whatever resource the
 * policy grants them: a function's spec declares these).
 */
export function declareJustifications(
  policy: ManagedPolicy,
  statements: readonly PolicyStatement[],
  more: readonly { actions: string[]; reason: string }[] = [],
): void {
  const entries: GrantJustification[] = more.map((m) => ({ actions: [...m.actions], reason: m.reason }));
  for (const statement of statements) {
    const reason = reasons.get(statement);
    if (reason === undefined) continue;
    const json = statement.toStatementJson() as { Action?: string | string[]; Resource?: string | string[] };
    entries.push({
      actions: ([] as string[]).concat(json.Action ?? []),
      resources: ([] as string[]).concat(json.Resource ?? []),
      reason,
    });
  }
  if (entries.length > 0)
    (policy.node.defaultChild as CfnResource).addMetadata(NOT_EXERCISED_METADATA, entries);
}
