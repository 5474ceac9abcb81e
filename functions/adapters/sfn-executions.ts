import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
} from "@aws-sdk/client-sfn";
import type { ExecutionEvent, ExecutionReader, ExecutionSummary } from "../ports/executions";
import type { ExecutionStatus } from "../ports/workflow";

/** The state an event names: entered, left, or (for a task's own events) none. */
const stateOf = (e: HistoryEvent): string | undefined =>
  e.stateEnteredEventDetails?.name ?? e.stateExitedEventDetails?.name ?? undefined;

/** One execution as ops see it, read from Step Functions (locally, its local endpoint). */
export class SfnExecutions implements ExecutionReader {
  constructor(private readonly client: SFNClient) {}

  async read(executionArn: string, recent: number): Promise<ExecutionSummary | null> {
    try {
      const [described, history] = await Promise.all([
        this.client.send(new DescribeExecutionCommand({ executionArn })),
        this.client.send(
          new GetExecutionHistoryCommand({
            executionArn,
            reverseOrder: true,
            maxResults: recent,
            includeExecutionData: false,
          }),
        ),
      ]);
      const events: ExecutionEvent[] = (history.events ?? [])
        .map((e) => {
          const state = stateOf(e);
          return {
            at: (e.timestamp ?? new Date(0)).toISOString(),
            type: String(e.type),
            ...(state !== undefined ? { state } : {}),
          };
        })
        .reverse();
      return {
        status: described.status as ExecutionStatus,
        startedAt: (described.startDate ?? new Date(0)).toISOString(),
        recent: events,
      };
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return null;
      throw error;
    }
  }
}
