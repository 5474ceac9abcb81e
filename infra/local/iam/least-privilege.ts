import type { IamModel } from "./model";
import { asArray } from "./policy";
import type { CallRecord } from "./record";
import { matchesAction, matchesResource } from "./wildcard";

/**
 * Least privilege, proven by use: every permission the stack grants (one
 * action pattern on one resource pattern of an Allow statement, per
 * principal; and each invoke permission of a function) against the calls
 * the recorded runs made. A grant no call used is unused, unless its policy
 * declares why (infra/constructs/grant-justification.ts); a refused call is
 * a grant missing. The build fails on either.
 */
export interface GrantUse {
  policy: string;
  action: string;
  resource: string;
  /** How many distinct recorded calls it covered. */
  calls: number;
  justification?: string;
}

export interface PrincipalReport {
  principal: string;
  grants: GrantUse[];
  unused: GrantUse[];
  justified: GrantUse[];
  refused: CallRecord[];
}

export interface LeastPrivilegeReport {
  principals: PrincipalReport[];
  /** Refused calls by callers the stack does not know (an unattributed call). */
  strangers: CallRecord[];
  recordedCalls: number;
  ok: boolean;
}

const uses = (calls: CallRecord[], principal: string, action: string, resource: string) =>
  calls.filter(
    (c) =>
      c.allowed &&
      c.principal === principal &&
      matchesAction(action, c.action) &&
      matchesResource(resource, c.resource),
  ).length;

export function leastPrivilegeReport(model: IamModel, calls: CallRecord[]): LeastPrivilegeReport {
  const reports = new Map<string, PrincipalReport>();
  const reportOf = (principal: string) => {
    let r = reports.get(principal);
    if (!r) {
      r = { principal, grants: [], unused: [], justified: [], refused: [] };
      reports.set(principal, r);
    }
    return r;
  };

  for (const principal of Object.values(model.principals)) {
    const report = reportOf(principal.id);
    for (const policy of principal.policies)
      for (const statement of asArray(policy.document.Statement)) {
        if (statement.Effect !== "Allow") continue;
        const actions = statement.Action
          ? asArray(statement.Action)
          : [`NotAction ${asArray(statement.NotAction).join(",")}`];
        const resources = statement.Resource
          ? asArray(statement.Resource)
          : [`NotResource ${asArray(statement.NotResource).join(",")}`];
        for (const action of actions)
          for (const resource of resources) {
            const grant: GrantUse = {
              policy: policy.name,
              action,
              resource,
              calls: statement.Action && statement.Resource ? uses(calls, principal.id, action, resource) : 0,
            };
            if (grant.calls === 0) {
              const why = policy.justifications.find(
                (j) =>
                  j.actions.some((a) => matchesAction(a, action)) &&
                  (!j.resources?.length || j.resources.includes(resource)),
              );
              if (why) grant.justification = why.reason;
            }
            report.grants.push(grant);
          }
      }
  }
  // Who may invoke each function (API Gateway per route, EventBridge per schedule).
  for (const permission of model.invokePermissions)
    for (const statement of asArray(permission.document.Statement)) {
      const service = statement.Principal === "*" ? "*" : asArray(statement.Principal?.Service)[0];
      if (!service) continue;
      const fnId = model.functionIds[permission.functionArn] ?? permission.functionArn;
      reportOf(service).grants.push({
        policy: permission.name,
        action: `lambda:InvokeFunction (${fnId})`,
        resource: String(statement.Condition?.ArnLike?.["aws:SourceArn"] ?? permission.functionArn),
        calls: uses(calls, service, "lambda:InvokeFunction", permission.functionArn),
      });
    }

  const strangers: CallRecord[] = [];
  const seenRefusals = new Set<string>();
  for (const call of calls) {
    if (call.allowed) continue;
    const key = `${call.principal}\n${call.action}\n${call.resource}`;
    if (seenRefusals.has(key)) continue;
    seenRefusals.add(key);
    if (reports.has(call.principal)) reportOf(call.principal).refused.push(call);
    else strangers.push(call);
  }
  for (const r of reports.values()) {
    r.unused = r.grants.filter((g) => g.calls === 0 && g.justification === undefined);
    r.justified = r.grants.filter((g) => g.calls === 0 && g.justification !== undefined);
  }
  const principals = [...reports.values()].sort((a, b) => a.principal.localeCompare(b.principal));
  return {
    principals,
    strangers,
    recordedCalls: calls.length,
    ok:
      calls.length > 0 &&
      strangers.length === 0 &&
      principals.every((p) => p.unused.length === 0 && p.refused.length === 0),
  };
}

/** The report as text: per principal, what is unused, justified and refused; then the verdict. */
export function formatLeastPrivilegeReport(report: LeastPrivilegeReport): string {
  const lines = [`Least-privilege report: ${report.recordedCalls} distinct calls recorded`];
  for (const p of report.principals) {
    const used = p.grants.length - p.unused.length - p.justified.length;
    lines.push(
      `${p.principal}: ${p.grants.length} grants, ${used} used, ${p.justified.length} justified, ` +
        `${p.unused.length} unused, ${p.refused.length} refused`,
    );
    for (const g of p.unused) lines.push(`  UNUSED    ${g.action} on ${g.resource}  (${g.policy})`);
    for (const c of p.refused) lines.push(`  REFUSED   ${c.action} on ${c.resource}: ${c.message ?? ""}`);
    // One line per reason: the grants it covers.
    const byReason = new Map<string, string[]>();
    for (const g of p.justified)
      byReason.set(g.justification as string, [
        ...(byReason.get(g.justification as string) ?? []),
        g.resource === "*" ? g.action : `${g.action} on ${g.resource}`,
      ]);
    for (const [reason, grants] of byReason) lines.push(`  justified ${grants.join(", ")}: ${reason}`);
  }
  for (const c of report.strangers)
    lines.push(`REFUSED (${c.principal}) ${c.action} on ${c.resource}: ${c.message}`);
  const unused = report.principals.reduce((n, p) => n + p.unused.length, 0);
  const refused = report.principals.reduce((n, p) => n + p.refused.length, 0) + report.strangers.length;
  lines.push(
    report.recordedCalls === 0
      ? "FAIL: no calls were recorded (run the end-to-end suites with ESCROW_LOCAL_IAM_RECORD_DIR set)"
      : report.ok
        ? "OK: no refusals, no unjustified unused grants"
        : `FAIL: ${refused} refused call(s), ${unused} unused grant(s) without a justification`,
  );
  return lines.join("\n");
}
