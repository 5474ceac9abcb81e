import { Duration, Stack } from "aws-cdk-lib";
import { AnyPrincipal, Effect, PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { Topic } from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";

export interface SecureTopicProps {
  displayName: string;
  description: string;
  /** Let CloudWatch alarms in this account publish (they need the topic policy and the key). */
  allowCloudWatchAlarms?: boolean;
}

/**
 * An SNS topic encrypted with its own customer managed key (rotated yearly),
 * whose policy refuses any publish or subscribe that does not arrive over TLS,
 * and whose messages are signed with SignatureVersion 2 (SHA256).
 */
export class SecureTopic extends Construct {
  readonly topic: Topic;
  readonly key: Key;

  constructor(scope: Construct, id: string, props: SecureTopicProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = new Key(this, "Key", {
      description: props.description,
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
    });
    this.topic = new Topic(this, "Topic", {
      displayName: props.displayName,
      masterKey: this.key,
      // HTTP(S) subscribers verify SHA256 signatures (the client's verifySnsMessage accepts version 2 only).
      signatureVersion: "2",
    });
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: "DenyWithoutTls",
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ["sns:Publish", "sns:Subscribe"],
        resources: [this.topic.topicArn],
        conditions: { Bool: { "aws:SecureTransport": "false" } },
      }),
    );
    if (props.allowCloudWatchAlarms) {
      const cloudwatch = new ServicePrincipal("cloudwatch.amazonaws.com");
      const fromOurAlarms = {
        StringEquals: { "aws:SourceAccount": stack.account },
        ArnLike: { "aws:SourceArn": stack.formatArn({ service: "cloudwatch", resource: "alarm:*" }) },
      };
      this.topic.addToResourcePolicy(
        new PolicyStatement({
          sid: "AllowAlarmsOfThisAccount",
          principals: [cloudwatch],
          actions: ["sns:Publish"],
          resources: [this.topic.topicArn],
          conditions: fromOurAlarms,
        }),
      );
      // Alarms publish through SNS server-side encryption, so CloudWatch needs the key too.
      this.key.addToResourcePolicy(
        new PolicyStatement({
          sid: "AllowAlarmsToEncrypt",
          principals: [cloudwatch],
          actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
          resources: ["*"],
          conditions: fromOurAlarms,
        }),
      );
    }
  }

  /** sns:Publish on this topic and the two key actions SNS server-side encryption needs from a publisher. */
  publishStatements(): PolicyStatement[] {
    return [
      new PolicyStatement({ actions: ["sns:Publish"], resources: [this.topic.topicArn] }),
      new PolicyStatement({ actions: ["kms:GenerateDataKey", "kms:Decrypt"], resources: [this.key.keyArn] }),
    ];
  }
}
