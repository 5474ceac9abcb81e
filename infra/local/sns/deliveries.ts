import type { DeliveryOptions, PublishedMessage, Subscriber } from "./types";

/**
 * Deliveries to HTTP(S) subscribers, SNS-shaped but NOT signed: they carry
 * `"Signature": "LOCAL-UNSIGNED"`, empty certificate/unsubscribe URLs and the
 * header `x-escrow-local-unsigned: true`. They run in the background, are
 * retried a few times and never block or fail the publish.
 */
export class Deliveries {
  private readonly running = new Set<Promise<void>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly subscribers: Subscriber[],
    private readonly options: DeliveryOptions,
    private readonly report: (message: string, error: unknown) => void,
  ) {}

  /** Starts the deliveries of a message to every subscriber that takes it. */
  send(m: PublishedMessage): void {
    for (const subscriber of this.subscribers) if (matches(subscriber, m)) this.deliver(subscriber, m);
  }

  /** Waits for the deliveries in flight. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Abandons the deliveries in flight (no more attempts). */
  async close(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled([...this.running]);
  }

  private deliver(subscriber: Subscriber, m: PublishedMessage): void {
    const attempts = this.options.attempts ?? 3;
    const backoffMs = this.options.backoffMs ?? 500;
    const timeoutMs = this.options.timeoutMs ?? 5000;
    const signal = this.abort.signal;
    const subscriptionArn = `${m.topicArn}:local-${Buffer.from(subscriber.url).toString("base64url").slice(0, 32)}`;
    const body = subscriber.raw ? m.message : JSON.stringify(notificationOf(m, subscriptionArn));
    const headers = {
      "content-type": "text/plain; charset=UTF-8",
      "user-agent": "Amazon Simple Notification Service Agent (escrow local)",
      "x-amz-sns-message-type": "Notification",
      "x-amz-sns-message-id": m.messageId,
      "x-amz-sns-topic-arn": m.topicArn,
      "x-amz-sns-subscription-arn": subscriptionArn,
      ...(subscriber.raw ? { "x-amz-sns-rawdelivery": "true" } : {}),
      "x-escrow-local-unsigned": "true",
    };
    const run = (async () => {
      for (let attempt = 1; attempt <= attempts; attempt++) {
        if (signal.aborted) return;
        try {
          const response = await fetch(subscriber.url, {
            method: "POST",
            headers,
            body,
            signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
          });
          await response.arrayBuffer().catch(() => undefined);
          if (response.ok) return;
          if (attempt === attempts)
            this.report(
              `delivery of ${m.messageId} to ${subscriber.url} failed`,
              new Error(`HTTP ${response.status}`),
            );
        } catch (error) {
          if (signal.aborted) return;
          if (attempt === attempts)
            this.report(`delivery of ${m.messageId} to ${subscriber.url} failed`, error);
        }
        if (attempt < attempts) await pause(backoffMs * 2 ** (attempt - 1), signal);
      }
    })();
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }
}

function matches(subscriber: Subscriber, m: PublishedMessage): boolean {
  if (subscriber.topicArn !== undefined && subscriber.topicArn !== m.topicArn) return false;
  for (const [name, accepted] of Object.entries(subscriber.filterPolicy ?? {})) {
    const value = m.attributes[name];
    if (value === undefined || !accepted.includes(value)) return false;
  }
  return true;
}

/** The JSON body SNS posts to an HTTP(S) subscriber (unsigned). */
export function notificationOf(m: PublishedMessage, subscriptionArn: string): Record<string, unknown> {
  return {
    Type: "Notification",
    MessageId: m.messageId,
    TopicArn: m.topicArn,
    ...(m.subject !== undefined ? { Subject: m.subject } : {}),
    Message: m.message,
    Timestamp: m.timestamp,
    SignatureVersion: "1",
    Signature: "LOCAL-UNSIGNED",
    SigningCertURL: "",
    UnsubscribeURL: "",
    SubscriptionArn: subscriptionArn,
    MessageAttributes: Object.fromEntries(
      Object.entries(m.attributes).map(([name, value]) => [
        name,
        { Type: m.attributeTypes[name] ?? "String", Value: value },
      ]),
    ),
  };
}

const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
