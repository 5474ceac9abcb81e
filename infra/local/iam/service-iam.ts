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
import { recorderFromEnv } from "./record";
import { readIamModel } from "./template-policies";

/**
 * The local IAM of a running service, wired into each local endpoint (see
 * local-iam.ts for what it decides, guards.ts for where): main.ts creates it
 * from the template, hands the store process its copy, and passes these
 * hooks to the services it starts.
 */
export async function startServiceIam(template: Template, model: LocalModel, store: StoreProcess) {
  const mode = iamModeFrom(process.env[IAM_MODE_ENV]);
  const iam = new LocalIam(readIamModel(template, model.table.name), {
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
