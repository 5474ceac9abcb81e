import { Duration } from "aws-cdk-lib";
import type { RestApi } from "aws-cdk-lib/aws-apigateway";
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { Operation, type Table } from "aws-cdk-lib/aws-dynamodb";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import type { StateMachine } from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import type { FunctionSpec } from "../service-functions";

export interface EscrowAlarmsProps {
  opsAlerts: ITopic;
  stateMachine: StateMachine;
  api: RestApi;
  functions: ReadonlyArray<{ spec: FunctionSpec; fn: IFunction }>;
  table: Table;
}

const PERIOD = Duration.minutes(5);
/** The operations the functions use (FUNCTIONS grants no others). */
const TABLE_OPERATIONS = [
  Operation.GET_ITEM,
  Operation.BATCH_GET_ITEM,
  Operation.QUERY,
  Operation.PUT_ITEM,
  Operation.UPDATE_ITEM,
];

/**
 * Alarms that page ops through the ops-alerts topic (and tell them when the
 * alarm clears). Thresholds are counts per 5 minutes; missing data is fine.
 */
export class EscrowAlarms extends Construct {
  readonly alarms: Alarm[] = [];
  private readonly action: SnsAction;

  constructor(scope: Construct, id: string, props: EscrowAlarmsProps) {
    super(scope, id);
    this.action = new SnsAction(props.opsAlerts);
    const sm = props.stateMachine;

    // A failed, timed-out or aborted execution: a step that still failed after its retries (LeftToReconciler
    // fails on purpose, so that this alarm fires while the reconciler continues the escrow from its record).
    this.add("ExecutionsFailed", sm.metricFailed({ period: PERIOD }), 1, "An escrow workflow failed");
    this.add("ExecutionsTimedOut", sm.metricTimedOut({ period: PERIOD }), 1, "An escrow workflow timed out");
    this.add("ExecutionsAborted", sm.metricAborted({ period: PERIOD }), 1, "An escrow workflow was aborted");
    this.add(
      "ExecutionThrottled",
      sm.metricThrottled({ period: PERIOD }),
      1,
      "Step Functions throttled the escrow workflow",
    );

    this.add(
      "Api5xx",
      props.api.metricServerError({ period: PERIOD, statistic: "Sum" }),
      5,
      "The escrow API answered 5xx",
    );

    for (const { spec, fn } of props.functions) {
      // Task functions raise PaymentDeclined/PaymentUnavailable as errors on purpose (the
      // workflow routes on them), so one error there is business as usual; a burst is not.
      const errorThreshold = spec.role === "task" ? 5 : 1;
      this.add(
        `${spec.id}Errors`,
        fn.metricErrors({ period: PERIOD, statistic: "Sum" }),
        errorThreshold,
        `${spec.id} raised errors`,
      );
      this.add(
        `${spec.id}Throttles`,
        fn.metricThrottles({ period: PERIOD, statistic: "Sum" }),
        1,
        `${spec.id} was throttled`,
      );
    }

    this.add(
      "TableThrottled",
      props.table.metricThrottledRequestsForOperations({ operations: TABLE_OPERATIONS, period: PERIOD }),
      1,
      "DynamoDB throttled requests to the escrow table",
    );
    this.add(
      "TableSystemErrors",
      props.table.metricSystemErrorsForOperations({ operations: TABLE_OPERATIONS, period: PERIOD }),
      1,
      "DynamoDB answered with system errors",
    );
  }

  private add(id: string, metric: IMetric, threshold: number, description: string): void {
    const alarm = new Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
  }
}
