import { ArnFormat, RemovalPolicy, Stack } from "aws-cdk-lib";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { CfnLoggingConfiguration, CfnWebACL, CfnWebACLAssociation } from "aws-cdk-lib/aws-wafv2";
import { Construct } from "constructs";
import { problemTemplate } from "./api-problems";

export interface ApiFirewallProps {
  /** ARN of the API Gateway stage to protect. */
  stageArn: string;
  /** Requests per client IP per 5 minutes. */
  rateLimitPer5Min: number;
  logsKey: IKey;
}

const visibility = (metricName: string): CfnWebACL.VisibilityConfigProperty => ({
  cloudWatchMetricsEnabled: true,
  metricName,
  sampledRequestsEnabled: true,
});

const managed = (priority: number, name: string, overrides: string[] = []): CfnWebACL.RuleProperty => ({
  name,
  priority,
  overrideAction: { none: {} },
  statement: {
    managedRuleGroupStatement: {
      vendorName: "AWS",
      name,
      ...(overrides.length
        ? { ruleActionOverrides: overrides.map((rule) => ({ name: rule, actionToUse: { count: {} } })) }
        : {}),
    },
  },
  visibilityConfig: visibility(name),
});

/**
 * WAF in front of the API stage: AWS managed rules (IP reputation, common
 * exploits, known bad inputs) and a per-IP rate limit. Blocked and counted
 * requests are logged (the Authorization header redacted); allowed ones are
 * not, as the API's access log already records every request.
 */
export class ApiFirewall extends Construct {
  readonly webAcl: CfnWebACL;

  constructor(scope: Construct, id: string, props: ApiFirewallProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.webAcl = new CfnWebACL(this, "WebAcl", {
      scope: "REGIONAL",
      description: "Escrow API: managed rule groups and a per-IP rate limit",
      defaultAction: { allow: {} },
      visibilityConfig: visibility("EscrowApi"),
      customResponseBodies: {
        rateLimited: {
          contentType: "APPLICATION_JSON",
          content: problemTemplate(
            "rate_limited",
            JSON.stringify("Too many requests from this address; retry later."),
          ),
        },
      },
      rules: [
        managed(0, "AWSManagedRulesAmazonIpReputationList"),
        {
          name: "RateLimitPerIp",
          priority: 1,
          action: {
            block: { customResponse: { responseCode: 429, customResponseBodyKey: "rateLimited" } },
          },
          statement: {
            rateBasedStatement: {
              limit: props.rateLimitPer5Min,
              aggregateKeyType: "IP",
              evaluationWindowSec: 300,
            },
          },
          visibilityConfig: visibility("RateLimitPerIp"),
        },
        // The common rule set blocks bodies over 8 KB; API.md allows 16 KiB and the handler enforces it.
        managed(2, "AWSManagedRulesCommonRuleSet", ["SizeRestrictions_BODY"]),
        managed(3, "AWSManagedRulesKnownBadInputsRuleSet"),
      ],
    });

    new CfnWebACLAssociation(this, "Association", {
      resourceArn: props.stageArn,
      webAclArn: this.webAcl.attrArn,
    });

    // WAF requires the `aws-waf-logs-` prefix.
    const logGroupName = `aws-waf-logs-${stack.stackName}`;
    const logs = new LogGroup(this, "Logs", {
      logGroupName,
      retention: RetentionDays.ONE_YEAR,
      encryptionKey: props.logsKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const logging = new CfnLoggingConfiguration(this, "Logging", {
      resourceArn: this.webAcl.attrArn,
      // WAF wants the log group ARN without the trailing `:*`.
      logDestinationConfigs: [
        stack.formatArn({
          service: "logs",
          resource: "log-group",
          resourceName: logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      redactedFields: [{ singleHeader: { Name: "authorization" } }],
      loggingFilter: {
        DefaultBehavior: "DROP",
        Filters: [
          {
            Behavior: "KEEP",
            Requirement: "MEETS_ANY",
            Conditions: [
              { ActionCondition: { Action: "BLOCK" } },
              { ActionCondition: { Action: "COUNT" } },
              { ActionCondition: { Action: "EXCLUDED_AS_COUNT" } },
            ],
          },
        ],
      },
    });
    logging.node.addDependency(logs);
  }
}
