import { DynamoOpsDesk } from "../../functions/adapters/dynamo-ops-desk";
import type { ExecutionReader, ExecutionSummary } from "../../functions/ports/executions";
import type { Dynalite } from "./fixture";

/** Step Functions as the ops view reads it: executions told to it by ARN; any other does not exist. */
export class KnownExecutions implements ExecutionReader {
  readonly known = new Map<string, ExecutionSummary>();
  failing = false;
  async read(arn: string, recent: number): Promise<ExecutionSummary | null> {
    if (this.failing) throw Object.assign(new Error("throttled"), { name: "ThrottlingException" });
    const found = this.known.get(arn);
    return found ? { ...found, recent: found.recent.slice(-recent) } : null;
  }
}

export const AWS_CONSOLE = (arn: string) =>
  `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${arn}`;

/** What the ops use cases need beside the store: the desk on the same table, executions, the console link. */
export const opsParts = (db: Dynalite, executions: ExecutionReader = new KnownExecutions()) => ({
  desk: new DynamoOpsDesk(db.client, db.tableName),
  executions,
  executionConsoleUrl: AWS_CONSOLE,
});
