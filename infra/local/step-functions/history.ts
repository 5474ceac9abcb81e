import { SfnServiceError } from "./errors";
import { isObject } from "./json";
import type {
  ExecutionDescription,
  ExecutionListItem,
  ExecutionRecord,
  HistoryEvent,
  JsonValue,
  Summary,
} from "./types";

/** The execution history in AWS's shape (GetExecutionHistory), and the API's views of a record. */

/** Appends an event to the record's history (ids count from 1, each pointing at the one before). */
export function appendEvent(
  record: ExecutionRecord,
  timestamp: number,
  type: string,
  details: Record<string, unknown>,
): void {
  const history = record.history;
  const id = history.length + 1;
  history.push({ id, previousEventId: id - 1, timestamp, type, ...details });
}

/** A `…StateEntered` event: one billed state transition. */
export function appendStateEntered(
  record: ExecutionRecord,
  timestamp: number,
  type: string,
  name: string,
  input: JsonValue,
): void {
  record.transitions += 1;
  appendEvent(record, timestamp, `${type}StateEntered`, {
    stateEnteredEventDetails: {
      name,
      input: JSON.stringify(input ?? null),
      inputDetails: { truncated: false },
    },
  });
}

export function historyOf(
  record: ExecutionRecord,
  options: { reverseOrder?: boolean; includeExecutionData?: boolean },
): HistoryEvent[] {
  let events = record.history.map((e) => ({ ...e, timestamp: new Date(e.timestamp) }) as HistoryEvent);
  if (options.reverseOrder) events = events.reverse();
  if (options.includeExecutionData === false) events = events.map(stripExecutionData);
  return events;
}

function stripExecutionData(event: HistoryEvent): HistoryEvent {
  const copy: HistoryEvent = { ...event };
  for (const [key, value] of Object.entries(copy)) {
    if (key.endsWith("EventDetails") && isObject(value)) {
      const { input: _i, output: _o, parameters: _p, ...rest } = value;
      copy[key] = rest;
    }
  }
  return copy;
}

export function describeRecord(r: ExecutionRecord): ExecutionDescription {
  return {
    executionArn: r.executionArn,
    stateMachineArn: r.stateMachineArn,
    name: r.name,
    status: r.status,
    startDate: new Date(r.startDate),
    ...(r.stopDate !== undefined ? { stopDate: new Date(r.stopDate) } : {}),
    input: r.input,
    inputDetails: { included: true },
    ...(r.output !== undefined ? { output: r.output, outputDetails: { included: true } } : {}),
    ...(r.error !== undefined ? { error: r.error } : {}),
    ...(r.cause !== undefined ? { cause: r.cause } : {}),
    redriveCount: 0,
    redriveStatus: "NOT_REDRIVABLE",
  };
}

export function summaryOf(r: ExecutionRecord): Summary {
  return {
    name: r.name,
    status: r.status,
    startDate: r.startDate,
    ...(r.stopDate !== undefined ? { stopDate: r.stopDate } : {}),
  };
}

/** ListExecutions' items: newest first (ties by name), as AWS lists them. */
export function listItems(
  summaries: Iterable<Summary>,
  stateMachineArn: string,
  executionArnPrefix: string,
  statusFilter?: string,
): ExecutionListItem[] {
  return [...summaries]
    .filter((s) => !statusFilter || s.status === statusFilter)
    .sort((a, b) => b.startDate - a.startDate || (a.name < b.name ? -1 : 1))
    .map(
      (s): ExecutionListItem => ({
        executionArn: executionArnPrefix + s.name,
        stateMachineArn,
        name: s.name,
        status: s.status,
        startDate: new Date(s.startDate),
        ...(s.stopDate !== undefined ? { stopDate: new Date(s.stopDate) } : {}),
        redriveCount: 0,
      }),
    );
}

/** One page of `items` under `key`, with an opaque `nextToken` when more follow (default 100, at most 1,000). */
export function paginate<T, K extends string>(
  items: T[],
  maxResults: number | undefined,
  nextToken: string | undefined,
  key: K,
): { [P in K]: T[] } & { nextToken?: string } {
  const size = maxResults && maxResults > 0 ? Math.min(maxResults, 1000) : 100;
  let start = 0;
  if (nextToken) {
    const n = Number(
      Buffer.from(nextToken, "base64url")
        .toString("utf8")
        .replace(/^offset:/, ""),
    );
    if (!Number.isInteger(n) || n < 0) throw new SfnServiceError("InvalidToken", "Invalid nextToken");
    start = n;
  }
  const page = items.slice(start, start + size);
  const out = { [key]: page } as { [P in K]: T[] } & { nextToken?: string };
  if (start + size < items.length)
    out.nextToken = Buffer.from(`offset:${start + size}`).toString("base64url");
  return out;
}
