import type { StoreProcess } from "../dynamo/index";
import { type LocalListener, sendJson, sendMethodNotAllowed } from "../local-http";
import type { SnsPublish } from "../step-functions/types";
import type { LocalFunction, LocalModel, Template } from "../template";
import { installCallerHeader } from "./caller";
import {
  guardStateMachinePublish,
  sfnAuthorizer,
  snsAuthorizer,
  stateMachineInvokeAuthorizer,
} from "./guards";
import { IAM_MODE_ENV, iamModeFrom, LocalIam, type Refusal } from "./local-iam";
import type { IamModel } from "./model";
import { asArray } from "./policy";
import { recorderFromEnv } from "./record";
import { readIamModel } from "./template-policies";

/**
 * `ESCROW_LOCAL_IAM_REVOKE=Reconciler:states:DescribeExecution,…`: runs the
 * service as if the stack did not grant these actions to these principals
 * (to see what a missing grant breaks, without editing the stack).
 */
export const REVOKE_ENV = "ESCROW_LOCAL_IAM_REVOKE";

export function revoke(model: IamModel, spec: string | undefined): IamModel {
  if (!spec?.trim()) return model;
  const out = structuredClone(model);
  for (const entry of spec
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)) {
    const at = entry.indexOf(":");
    const principal = out.principals[entry.slice(0, at)];
    const action = entry.slice(at + 1);
    if (at < 1 || !principal || !action.includes(":"))
      throw new Error(`${REVOKE_ENV}: ${entry} is not <function id>:<service>:<Action> of the stack`);
    for (const policy of principal.policies)
      policy.document.Statement = asArray(policy.document.Statement).flatMap((statement) => {
        if (statement.Effect !== "Allow" || !statement.Action) return [statement];
        const left = asArray(statement.Action).filter((a) => a.toLowerCase() !== action.toLowerCase());
        return left.length ? [{ ...statement, Action: left }] : [];
      });
  }
  return out;
}

/**
 * The local IAM of a running service, wired into each local endpoint (see
 * local-iam.ts for what it decides, guards.ts for where): main.ts creates it
 * from the template, hands the store process its copy, and passes these
 * hooks to the services it starts.
 */
export async function startServiceIam(template: Template, model: LocalModel, store: StoreProcess) {
  const mode = iamModeFrom(process.env[IAM_MODE_ENV]);
  const iamModel = revoke(readIamModel(template, model.table.name), process.env[REVOKE_ENV]);
  const iam = new LocalIam(iamModel, {
    mode,
    recorder: recorderFromEnv(),
    onRefusal: (r) =>
      console.error(
        `[local] IAM ${mode === "warn" ? "would refuse" : "refused"} ${r.principal}: ${r.message}`,
      ),
  });
  await store.setIam(iam.model, mode);
  const functionArnOf = (name: string) =>
    name.startsWith("arn:")
      ? name.replace(/^(arn:[^:]+:lambda:[^:]*:[^:]*:function:[^:]+):.*$/, "$1") // a qualified ARN: its function
      : (model.functions.find((f) => f.logicalId === name || f.id === name)?.arn ?? name);
  const executeApiArn = iam.model.executeApiArn;
  return {
    iam,
    mode,
    /** After the endpoints listen: requests from the functions name their caller from then on. */
    tagCallers: (endpoints: string[]) => installCallerHeader(endpoints),
    sfnAuthorize: sfnAuthorizer(iam, model.stateMachine.arn),
    snsAuthorize: snsAuthorizer(iam),
    stateMachinePublish: (publish: SnsPublish) => guardStateMachinePublish(iam, publish),
    stateMachineInvoke: stateMachineInvokeAuthorizer(iam, functionArnOf),
    /** API Gateway invoking a route's function: the function's resource policy names the route. */
    gatewayMayInvoke: (fn: LocalFunction, method: string, path: string) =>
      iam.authorizeInvoke(
        "apigateway.amazonaws.com",
        fn.arn,
        `${executeApiArn ?? "(no API)"}/${method}${path}`,
      ) === undefined,
    /** EventBridge invoking a function on its schedule: the rule that targets it, and its permission. */
    scheduleMayInvoke: (fn: LocalFunction) => {
      const rule = iam.model.schedules.find((s) => s.functionArn === fn.arn)?.ruleArn;
      return (
        iam.authorizeInvoke(
          "events.amazonaws.com",
          fn.arn,
          rule ?? `arn:aws:events:${iam.model.region}:${iam.model.account}:rule/(no rule targets ${fn.id})`,
        ) === undefined
      );
    },
    /** `GET /_local/iam`: the mode and every refusal so far (this process's and the store's). */
    listener: ((): LocalListener => async (req, res) => {
      if ((req.url ?? "").split("?")[0] !== "/_local/iam") return false;
      if (req.method !== "GET") {
        sendMethodNotAllowed(res, ["GET"]);
        return true;
      }
      const refusals: Refusal[] = [...iam.refusals(), ...(await store.iamRefusals())];
      sendJson(res, 200, { mode, refusals });
      return true;
    })(),
  };
}
