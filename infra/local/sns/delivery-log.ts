import { JsonLinesLog } from "../json-lines-log";
import type { SnsMessageType } from "./signing";

/**
 * Every delivery attempt to an HTTP(S) subscriber (`GET /_local/deliveries`):
 * which message went where, the attempt's number, the endpoint's answer (or
 * why there was none) and what followed. Kept in the data folder, so the
 * attempts of a run before a restart are still listed.
 */
export interface DeliveryAttempt {
  messageId: string;
  subscriptionArn: string;
  topicArn: string;
  endpoint: string;
  messageType: SnsMessageType;
  /** The event's type (message attribute `type`), for a notification. */
  eventType: string | null;
  escrowId: string | null;
  /** 1 for the first delivery, 2 for the first retry… */
  attempt: number;
  /** The endpoint's HTTP status; null when it gave none. */
  status: number | null;
  /** Why there was no answer (refused connection, timeout…). */
  error?: string;
  /** `delivered` (2xx), `retrying` (another attempt follows), `failed` (none follows). */
  outcome: "delivered" | "retrying" | "failed";
  at: string;
}

export class DeliveryLog {
  private readonly log: JsonLinesLog<DeliveryAttempt>;
  private readonly attempts: DeliveryAttempt[] = [];
  private ready: Promise<void> = Promise.resolve();

  constructor(file: string, report: (message: string, error: unknown) => void) {
    this.log = new JsonLinesLog(file, report);
  }

  open(): Promise<void> {
    this.ready = this.log.open().then((entries) => {
      this.attempts.push(...entries);
    });
    return this.ready;
  }

  async record(attempt: DeliveryAttempt): Promise<void> {
    await this.ready;
    this.attempts.push(attempt);
    await this.log.append(attempt);
  }

  /** The attempts, oldest first: an escrow's (its events'), a subscription's, or all. */
  async list(filter: { escrowId?: string; subscriptionArn?: string } = {}): Promise<DeliveryAttempt[]> {
    await this.ready;
    return this.attempts.filter(
      (a) =>
        (filter.escrowId === undefined || a.escrowId === filter.escrowId) &&
        (filter.subscriptionArn === undefined || a.subscriptionArn === filter.subscriptionArn),
    );
  }

  close(): Promise<void> {
    return this.log.close();
  }
}
