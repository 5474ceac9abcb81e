import { UNATTRIBUTED } from "./caller";
import { evaluate } from "./evaluator";
import type { IamModel, IamPrincipal } from "./model";
import type { PolicyDocument, RequestContext } from "./policy";
import type { CallRecord, CallRecorder } from "./record";

/**
 * The local IAM: decides whether a principal of the stack (a function's role,
 * the state machine's role) may make a call, from the template's policies,
 * the way AWS decides it for a caller in the same account:
 *
 * - an explicit Deny in the role's policies or the resource's policy wins;
 * - DynamoDB and Step Functions: the role's policies must allow it;
 * - SNS: the role's policies or the topic policy may allow it;
 * - KMS: the key policy must allow it, and when it does so through the
 *   account (`arn:aws:iam::<account>:root`, CDK's default) the role's
 *   policies must allow it too;
 * - a service invoking a function (API Gateway, EventBridge): the function's
 *   resource policy (its AWS::Lambda::Permission resources).
 *
 * Requests are made over TLS in AWS (`aws:SecureTransport` is true). Each
 * decision is cached per (principal, action, resource), recorded once for
 * the least-privilege report, and a refusal is kept and reported.
 *
 * ESCROW_LOCAL_IAM: `enforce` (the default; `on` too) refuses, `warn` lets
 * the call through but reports and records the refusal, `off` checks nothing.
 */
export type IamMode = "enforce" | "warn" | "off";
export const IAM_MODE_ENV = "ESCROW_LOCAL_IAM";

export function iamModeFrom(value: string | undefined): IamMode {
  switch ((value ?? "").trim().toLowerCase()) {
    case "":
    case "on":
    case "enforce":
      return "enforce";
    case "warn":
      return "warn";
    case "off":
      return "off";
  }
  throw new Error(`${IAM_MODE_ENV}=${value}: expected enforce (or on), warn or off`);
}

export interface Refusal extends CallRecord {
  at: string;
}

const CACHE_LIMIT = 20_000;

export class LocalIam {
  private readonly cache = new Map<string, string | null>();
  private readonly refused: Refusal[] = [];
  /** What was recorded already: each (principal, action, resource, decision) once per process. */
  private readonly recorded = new Set<string>();
  private readonly context: RequestContext;

  constructor(
    readonly model: IamModel,
    private readonly options: {
      mode: IamMode;
      recorder?: CallRecorder;
      /** Told of each refusal the first time it happens (the service logs it). */
      onRefusal?: (refusal: Refusal) => void;
    },
  ) {
    this.context = { "aws:SecureTransport": true, "aws:PrincipalAccount": model.account };
  }

  get mode(): IamMode {
    return this.options.mode;
  }

  /** The refusals so far (each distinct call once). */
  refusals(): Refusal[] {
    return [...this.refused];
  }

  /**
   * Whether `principal` may perform `action` on `resource`: undefined when it
   * may (or when it may not and the mode is `warn`), else the message of
   * AWS's AccessDenied.
   */
  authorize(principal: string, action: string, resource: string): string | undefined {
    if (this.options.mode === "off") return undefined;
    return this.decide(`${principal}\n${action}\n${resource}`, principal, action, resource, () =>
      this.decideForPrincipal(principal, action, resource),
    );
  }

  /** Whether the service `service` may invoke the function, from `sourceArn` (its resource policy). */
  authorizeInvoke(service: string, functionArn: string, sourceArn: string): string | undefined {
    if (this.options.mode === "off") return undefined;
    const action = "lambda:InvokeFunction";
    return this.decide(
      `${service}\n${action}\n${functionArn}\n${sourceArn}`,
      service,
      action,
      functionArn,
      () => {
        const documents = this.model.invokePermissions
          .filter((p) => p.functionArn === functionArn)
          .map((p) => p.document);
        const decision = evaluate(documents, {
          action,
          resource: functionArn,
          principal: { type: "Service", id: service },
          context: { ...this.context, "aws:SourceArn": sourceArn, "aws:SourceAccount": this.model.account },
        });
        return decision.effect === "Allow"
          ? null
          : `The function's resource-based policy does not let ${service} invoke ${functionArn} from ${sourceArn}`;
      },
    );
  }

  private decide(
    key: string,
    principal: string,
    action: string,
    resource: string,
    compute: () => string | null,
  ): string | undefined {
    let message = this.cache.get(key);
    if (message === undefined) {
      message = compute();
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(key, message);
      const call: CallRecord = { principal, action, resource, allowed: message === null };
      if (message !== null) {
        const refusal = { ...call, message, at: new Date().toISOString() };
        this.refused.push(refusal);
        this.options.onRefusal?.(refusal);
        call.message = message;
      }
      const recordKey = `${principal}\n${action}\n${resource}\n${call.allowed}`;
      if (this.options.recorder && !this.recorded.has(recordKey)) {
        this.recorded.add(recordKey);
        this.options.recorder.record(call);
      }
    }
    return message === null || this.options.mode === "warn" ? undefined : message;
  }

  private decideForPrincipal(principalId: string, action: string, resource: string): string | null {
    const who = this.model.principals[principalId];
    if (!who) {
      const what =
        principalId === UNATTRIBUTED
          ? "a call made outside any function invocation (the local runtime cannot tell whose role it is)"
          : `a call from ${principalId}, which is no function of the stack`;
      return `Local IAM refused ${what}: ${action} on ${resource}`;
    }
    const request = {
      action,
      resource,
      principal: { type: "AWS" as const, id: who.roleArn },
      context: { ...this.context, "aws:PrincipalArn": who.roleArn },
    };
    const identity = evaluate(
      who.policies.map((p) => p.document),
      request,
    );
    const denied = (reason: string) =>
      `User: ${who.sessionArn} is not authorized to perform: ${action} on resource: ${resource} ${reason}`;
    if (identity.effect === "ExplicitDeny")
      return denied("with an explicit deny in an identity-based policy");

    const resourcePolicy = this.resourcePolicyOf(action, resource);
    const onResource = resourcePolicy ? evaluate([resourcePolicy], request) : undefined;
    if (onResource?.effect === "ExplicitDeny")
      return denied("with an explicit deny in a resource-based policy");
    if (action.toLowerCase().startsWith("kms:")) {
      if (onResource?.effect !== "Allow")
        return denied(`because no resource-based policy allows the ${action} action`);
      if (onResource.via === "account" && identity.effect !== "Allow")
        return denied(`because no identity-based policy allows the ${action} action`);
      return null;
    }
    if (identity.effect === "Allow") return null;
    if (onResource?.effect === "Allow" && onResource.via !== "account") return null;
    return denied(`because no identity-based policy allows the ${action} action`);
  }

  private resourcePolicyOf(action: string, resource: string): PolicyDocument | undefined {
    const service = action.slice(0, action.indexOf(":")).toLowerCase();
    if (service === "sns") return this.model.topicPolicies[resource];
    if (service === "kms") return this.model.keyPolicies[resource];
    return undefined;
  }

  /** The principal a function ARN belongs to (for the state machine's invocations). */
  principalOfFunction(functionArn: string): IamPrincipal | undefined {
    const id = this.model.functionIds[functionArn];
    return id === undefined ? undefined : this.model.principals[id];
  }
}
