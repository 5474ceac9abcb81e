import { readFileSync } from "node:fs";
import { ArnFormat, type CfnResource, RemovalPolicy, Stack } from "aws-cdk-lib";
import { ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { declareJustifications, justify } from "./grant-justification";
import { dropReferencedDependency } from "./implied-dependencies";

export interface EscrowWorkflowProps {
  /** Explicit name, so functions can be granted its ARN before it exists (see `arnOf`). */
  name: string;
  definitionFile: string;
  /** Definition substitution (`<Id>FunctionArn`) → the task function it names. */
  tasks: ReadonlyMap<string, IFunction>;
  /** Definition substitution → why no local run invokes that task (the report accepts its invoke grant unused). */
  tasksNotExercisedLocally?: ReadonlyMap<string, string>;
  logsKey: IKey;
}

/**
 * The escrow workflow: the ASL file as written (it is what ops read in the
 * console), with the task functions and topics substituted in. Standard type,
 * full logging with execution data, X-Ray on.
 */
export class EscrowWorkflow extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;
  readonly role: Role;
  readonly access: ManagedPolicy;

  /**
   * The ARN of the state machine named `name`, built from the name rather than
   * from the construct: task functions that end waits need it, and the state
   * machine needs theirs — a token reference would be a dependency cycle.
   */
  static arnOf(scope: Construct, name: string): string {
    return Stack.of(scope).formatArn({
      service: "states",
      resource: "stateMachine",
      resourceName: name,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  constructor(scope: Construct, id: string, props: EscrowWorkflowProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, "Logs", {
      // The vendedlogs prefix keeps CloudWatch Logs' resource policy small (AWS guidance for Step Functions).
      logGroupName: `/aws/vendedlogs/states/${props.name}`,
      retention: RetentionDays.ONE_YEAR,
      encryptionKey: props.logsKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // The definition names its task functions only (the tasks publish the events themselves).
    const substitutions: Record<string, string> = {};
    for (const [name, fn] of props.tasks) substitutions[name] = fn.functionArn;

    // One customer managed policy holds every grant (CDK's own logging and tracing additions
    // go nowhere: the role is passed on without policy updates, so they are written out here).
    this.role = new Role(this, "Role", {
      assumedBy: new ServicePrincipal("states.amazonaws.com"),
      description: `Runs the ${props.name} workflow`,
    });
    const unexercised = props.tasksNotExercisedLocally ?? new Map<string, string>();
    const invoke = (names: string[]) =>
      new PolicyStatement({
        actions: ["lambda:InvokeFunction"],
        resources: names.map((name) => (props.tasks.get(name) as IFunction).functionArn),
      });
    const statements = [
      // Exactly the unqualified task ARNs the definition names (no `:*` versions).
      invoke([...props.tasks.keys()].filter((name) => !unexercised.has(name))),
      ...[...unexercised].map(([name, reason]) => justify(invoke([name]), reason)),
      // Log delivery and X-Ray have no resource-level permissions.
      justify(
        new PolicyStatement({
          actions: [
            "logs:CreateLogDelivery",
            "logs:GetLogDelivery",
            "logs:UpdateLogDelivery",
            "logs:DeleteLogDelivery",
            "logs:ListLogDeliveries",
            "logs:PutResourcePolicy",
            "logs:DescribeResourcePolicies",
            "logs:DescribeLogGroups",
          ],
          resources: ["*"],
        }),
        "Step Functions delivers the execution logs to CloudWatch Logs (checked when the state machine is created); locally there are none.",
      ),
      justify(
        new PolicyStatement({
          actions: [
            "xray:PutTraceSegments",
            "xray:PutTelemetryRecords",
            "xray:GetSamplingRules",
            "xray:GetSamplingTargets",
          ],
          resources: ["*"],
        }),
        "Tracing is on: Step Functions sends the traces; there is no X-Ray locally.",
      ),
    ];
    this.access = new ManagedPolicy(this, "Access", {
      description: `What the ${props.name} workflow may do`,
      roles: [this.role],
      statements,
    });
    declareJustifications(this.access, statements);

    this.stateMachine = new StateMachine(this, "StateMachine", {
      stateMachineName: props.name,
      stateMachineType: StateMachineType.STANDARD,
      // Inline (not an S3 asset as fromFile makes it): the template then carries the exact
      // definition, for review in diffs and for the local runtime that runs the template.
      definitionBody: DefinitionBody.fromString(readFileSync(props.definitionFile, "utf8")),
      definitionSubstitutions: substitutions,
      role: this.role.withoutPolicyUpdates(),
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });
    // Step Functions checks the log delivery permissions when the state machine is created.
    this.stateMachine.node.addDependency(this.access);
    dropReferencedDependency(this.stateMachine.node.defaultChild as CfnResource, this.role);
  }
}
