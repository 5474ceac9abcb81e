import { type App, Validations } from "aws-cdk-lib";
import type { CfnMethod } from "aws-cdk-lib/aws-apigateway";
import { AwsSolutionsChecks, PCIDSS321Checks, ServerlessChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import type { EscrowStack } from "./escrow-stack";

/**
 * Registers the cdk-nag packs on the app: every synth runs them, any finding
 * that is not acknowledged fails the synth, and the cloud assembly gets
 * validation-report.json either way.
 */
export function registerNagPacks(app: App) {
  const packs = [
    // Acknowledgements are also written into each resource's Metadata (cdk_nag), for auditors.
    new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }),
    new ServerlessChecks(app),
    new PCIDSS321Checks(app),
  ];
  Validations.of(app).addPlugins(...packs);
  return packs;
}

const ack = (construct: IConstruct | undefined, id: string, reason: string) => {
  if (!construct) throw new Error(`Nothing to acknowledge ${id} on`);
  Validations.of(construct).acknowledge({ id, reason });
};

/**
 * Every finding the stack keeps, on the construct that causes it, with why.
 * Each is narrow (one rule, often one finding of a rule, on one construct);
 * nothing is acknowledged stack- or app-wide.
 */
export function acknowledgeEscrowFindings(stack: EscrowStack): void {
  for (const { spec, construct } of stack.functions) {
    if (spec.describesExecutions || spec.readsExecutions)
      ack(
        construct.access,
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${stack.stackName}-EscrowLifecycle:*]`,
        `${spec.id} reads executions of this one state machine (${spec.readsExecutions ? "DescribeExecution and GetExecutionHistory, for the ops view" : spec.reconciles ? "DescribeExecution of the execution a due escrow's record names" : "DescribeExecution of a parked wait's execution before its continuation starts"} on <state machine>:<name>); execution names are escrow ids known only at run time, so the ARN ends in a wildcard over names, never over state machines or actions.`,
      );
    ack(
      construct.access,
      "AwsSolutions-IAM5[Resource::*]",
      "Only xray:PutTraceSegments and xray:PutTelemetryRecords use Resource *: X-Ray trace submission has no resource-level permissions. Every data action is scoped to the table, its named indexes, the state machine (and its executions, for the reconciler) or the topics it publishes to and their keys.",
    );
    const reaches = [
      ...(spec.table.items.length || spec.table.query?.length ? ["DynamoDB"] : []),
      ...(spec.startsExecutions || spec.endsWaits || spec.describesExecutions ? ["Step Functions"] : []),
      ...(spec.publishes ? ["SNS"] : []),
    ];
    ack(
      construct.fn,
      "PCI.DSS.321-LambdaInsideVPC",
      `${spec.id} reaches ${reaches.length ? `only AWS APIs (${reaches.join(", ")}) over TLS with SigV4` : "nothing: it answers from its own bundle"} and has no inbound network path; there is nothing in a VPC for it to reach. A VPC would add NAT or endpoint cost and ENIs without narrowing what it can touch (IAM does that). Revisit if a payment provider needs a fixed egress IP.`,
    );
    ack(
      construct.fn,
      "Serverless-LambdaDLQ",
      spec.role === "api" || spec.role === "console"
        ? `${spec.id} is invoked only synchronously by API Gateway (Lambda proxy); a failure is the caller's 5xx answer and the request is retried. There is no asynchronous event for a DLQ to keep.`
        : spec.role === "trigger"
          ? `${spec.id} is invoked only synchronously by Cognito while it issues a token; a failure fails that sign-in, which the person retries. There is no asynchronous event for a DLQ to keep.`
          : spec.reconciles
            ? `${spec.id} is invoked by its schedule with an empty event: a failed run keeps nothing worth replaying, since every mark it did not handle is still due and the next run reads it again (its failures raise the Lambda errors alarm).`
            : `${spec.id} is invoked only synchronously by Step Functions (lambda:invoke, RequestResponse); failures go to the state's Retry (transient ones forever, with capped back-off) and then Catch (ops). There is no asynchronous event for a DLQ to keep.`,
    );
  }

  ack(
    stack.workflow.access,
    "AwsSolutions-IAM5[Resource::*]",
    "Resource * only on CloudWatch Logs vended-log delivery (logs:*LogDelivery, resource policies, DescribeLogGroups) and X-Ray trace submission, which have no resource-level permissions. Lambda invokes are scoped to the task functions the definition names.",
  );

  ack(
    stack.reconcileSchedule,
    "Serverless-EventBusDLQ",
    "The reconciler's schedule delivers an empty event every few minutes: a delivery that fails is superseded by the next one, which looks at the same due index and failed executions. A dead-letter queue would only collect empty events.",
  );

  const api = stack.api;
  ack(
    api.api.node.tryFindChild("CloudWatchRole"),
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
    "The Region-wide API Gateway account role that access and execution logging require. AWS maintains this service-role policy as exactly what API Gateway needs to write its logs; it is assumable only by apigateway.amazonaws.com.",
  );
  ack(
    api.healthMethod,
    "AwsSolutions-APIG4",
    'GET /v1/health is the public liveness probe (API.md): a MOCK integration that answers {"status":"ok"} and reaches no function or data. Every other method has the Cognito authorizer.',
  );
  ack(
    api.healthMethod,
    "AwsSolutions-COG4",
    "GET /v1/health is the public liveness probe (API.md) and carries no authorizer on purpose; every other method uses the Cognito user pools authorizer with the route's scopes.",
  );
  for (const method of api.publicMethods) {
    const route = (method.node.defaultChild as CfnMethod).getMetadata("escrow:route");
    ack(
      method,
      "AwsSolutions-APIG4",
      `${route} serves a document about the API itself (API.md v1.2, "For integrators": the OpenAPI document or the event schemas), the same for every caller, built from the route table; it reads no table and no tenant's data. Every route with data has the Cognito authorizer.`,
    );
    ack(
      method,
      "AwsSolutions-COG4",
      `${route} is public on purpose (API.md: "no token"); every route with data uses the Cognito user pools authorizer with the route's scopes.`,
    );
  }
  for (const method of [...api.methodNotAllowed, ...stack.opsConsole.methodNotAllowed]) {
    ack(
      method,
      "AwsSolutions-APIG4",
      "The ANY method of a path answers 405 method_not_allowed (with Allow) from a MOCK integration for the methods the path does not serve; it reaches no function and no data. API Gateway picks the path's own methods, which keep their authorizer, before ANY.",
    );
    ack(
      method,
      "AwsSolutions-COG4",
      "A MOCK answering 405 with the path's Allow header needs no authorizer: it reveals only which methods a path serves, which the OpenAPI document publishes anyway.",
    );
  }
  ack(
    api.userPool,
    "AwsSolutions-COG2",
    "MFA is offered (TOTP) and the operator enrols each ops user when creating them: Cognito lets a pool require MFA only at its creation, and this pool exists (deletion protection, retained). Marketplaces use the client-credentials grant, where MFA does not apply. Self sign-up is disabled; users sign in only through the hosted sign-in page with the console's PKCE client.",
  );
  ack(
    api.userPool,
    "AwsSolutions-COG8",
    "Plus-tier threat protection (adaptive authentication, compromised credentials) would cover the few ops staff who sign in to the console; on Essentials they are created by the operator (no sign-up), with a 14-character password policy and TOTP offered, and the console's client allows only the ops scope. Machine clients are not covered by threat protection at all. WAF and API throttling protect the API itself.",
  );
  for (const method of stack.opsConsole.methods) {
    ack(
      method,
      "AwsSolutions-APIG4",
      "GET /ops and /ops/{proxy+} serve the ops console's static page and hashed assets, which hold no data (API.md v1.2: the page is served by the service and signs people in itself). Every call the page makes goes to the /v1 ops routes with the signed-in user's token, through the Cognito authorizer.",
    );
    ack(
      method,
      "AwsSolutions-COG4",
      "The ops console's page must load before anyone is signed in (it starts the PKCE sign-in); it is public static content. The data it shows comes from the /v1 ops routes, all behind the Cognito user pools authorizer.",
    );
  }
  ack(
    api.api.deploymentStage,
    "PCI.DSS.321-APIGWCacheEnabledAndEncrypted",
    "Caching is off on purpose: answers are per tenant and describe money in motion (status, version, deadline); a cached answer would be stale or, keyed wrongly, another caller's. With no cache there is no cached data at rest to encrypt.",
  );
  ack(
    api.api.deploymentStage,
    "PCI.DSS.321-APIGWSSLEnabled",
    "Backend client certificates authenticate API Gateway to HTTP integrations. Every integration here is a Lambda proxy (invoked through the Lambda API with SigV4) or a MOCK; there is no HTTP backend to present a certificate to. Clients reach the API over TLS only.",
  );
}
