import { randomUUID } from "node:crypto";
import type { DeliveryLog } from "./delivery-log";
import type { SnsMessageType, SnsSigner } from "./signing";
import type { Subscription } from "./subscriptions";
import type { DeliveryOptions, PublishedMessage } from "./types";

/**
 * Deliveries to HTTP(S) subscribers, as SNS makes them: the JSON message
 * SNS posts (or the bare message with raw delivery), signed with
 * SignatureVersion 2, the `x-amz-sns-*` headers, and SNS's default HTTP(S)
 * delivery policy — the first attempt, then 3 retries 20 seconds apart
 * (`numRetries` 3, `minDelayTarget` = `maxDelayTarget` = 20, linear). A 2xx
 * answer delivers; a 5xx or 429, no answer, or no answer within 15 seconds
 * is retried; any other answer (a 4xx: the endpoint refuses the message) is
 * not. Every attempt is written to the delivery log (`/_local/deliveries`).
 * Deliveries run in the background and never block or fail a publish.
 */

/** SNS's default HTTP(S) delivery policy: the delays before each retry. */
export const DEFAULT_RETRY_DELAYS_MS = [20_000, 20_000, 20_000];
export const DEFAULT_TIMEOUT_MS = 15_000;
const USER_AGENT = "Amazon Simple Notification Service Agent";

export interface DeliveryUrls {
  /** The local SNS endpoint's base URL (the service's own address). */
  base: () => string;
  signer: SnsSigner;
}

export const subscribeUrlOf = (base: string, topicArn: string, token: string) =>
  `${base}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(topicArn)}&Token=${token}`;
export const unsubscribeUrlOf = (base: string, subscriptionArn: string) =>
  `${base}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(subscriptionArn)}`;

const retryable = (status: number | null) => status === null || status >= 500 || status === 429;

export class Deliveries {
  private readonly running = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private readonly delays: number[];
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly now: () => number;

  constructor(
    private readonly urls: DeliveryUrls,
    private readonly log: DeliveryLog,
    options: DeliveryOptions,
    private readonly report: (message: string, error: unknown) => void,
  ) {
    this.delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.sleep = options.sleep ?? pause;
    this.now = options.now ?? Date.now;
  }

  /** A published message, to one subscription that takes it. */
  notify(subscription: Subscription, m: PublishedMessage): void {
    const raw = subscription.attributes.RawMessageDelivery === "true";
    const event = parsed(m.message);
    const headers: Record<string, string> = {
      "x-amz-sns-message-type": "Notification",
      "x-amz-sns-message-id": m.messageId,
      "x-amz-sns-topic-arn": m.topicArn,
      "x-amz-sns-subscription-arn": subscription.arn,
      ...(raw ? { "x-amz-sns-rawdelivery": "true" } : {}),
    };
    const body = raw ? m.message : JSON.stringify(this.notification(subscription, m));
    this.start(subscription, {
      messageId: m.messageId,
      messageType: "Notification",
      eventType: m.attributes.type ?? (typeof event?.type === "string" ? event.type : null),
      escrowId: typeof event?.escrowId === "string" ? event.escrowId : null,
      headers,
      body,
      attempts: this.delays.length + 1,
    });
  }

  /** The SubscriptionConfirmation a new subscription's endpoint gets: its SubscribeURL confirms it. */
  confirmSubscription(subscription: Subscription): void {
    const message = this.signed({
      Type: "SubscriptionConfirmation",
      MessageId: randomUUID(),
      Token: subscription.token,
      TopicArn: subscription.topicArn,
      Message: `You have chosen to subscribe to the topic ${subscription.topicArn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
      SubscribeURL: subscribeUrlOf(this.urls.base(), subscription.topicArn, subscription.token),
      Timestamp: new Date(this.now()).toISOString(),
    });
    this.sendControl(subscription, message, this.delays.length + 1);
  }

  /** The UnsubscribeConfirmation an ended subscription's endpoint gets (once: its endpoint is gone from SNS). */
  unsubscribed(subscription: Subscription): void {
    if (subscription.fixed) return;
    const message = this.signed({
      Type: "UnsubscribeConfirmation",
      MessageId: randomUUID(),
      Token: subscription.token,
      TopicArn: subscription.topicArn,
      Message: `You have chosen to deactivate subscription ${subscription.arn}.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.`,
      SubscribeURL: subscribeUrlOf(this.urls.base(), subscription.topicArn, subscription.token),
      Timestamp: new Date(this.now()).toISOString(),
    });
    this.sendControl(subscription, message, 1);
  }

  /** Waits for the deliveries in flight (retries included). */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Abandons the deliveries in flight (no more attempts). */
  async close(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled([...this.running]);
  }

  private notification(subscription: Subscription, m: PublishedMessage): Record<string, unknown> {
    const base = this.urls.base();
    const fields = {
      Type: "Notification",
      MessageId: m.messageId,
      TopicArn: m.topicArn,
      ...(m.subject !== undefined ? { Subject: m.subject } : {}),
      Message: m.message,
      // Real time, not the service's clock (POST /_local/clock): a subscriber checks a message's age
      // against its own clock, as it must in AWS; the event inside keeps the service's occurredAt.
      Timestamp: new Date(this.now()).toISOString(),
    };
    const attributes = Object.entries(m.attributes);
    return {
      ...this.signed(fields),
      UnsubscribeURL: unsubscribeUrlOf(base, subscription.arn),
      ...(attributes.length
        ? {
            MessageAttributes: Object.fromEntries(
              attributes.map(([name, value]) => [
                name,
                { Type: m.attributeTypes[name] ?? "String", Value: value },
              ]),
            ),
          }
        : {}),
    };
  }

  /** The fields with SignatureVersion, Signature and SigningCertURL added after them, as SNS orders them. */
  private signed(fields: Record<string, unknown>): Record<string, unknown> {
    return {
      ...fields,
      SignatureVersion: "2",
      Signature: this.urls.signer.sign(fields),
      SigningCertURL: `${this.urls.base()}/${this.urls.signer.certificateFileName}`,
    };
  }

  private sendControl(subscription: Subscription, message: Record<string, unknown>, attempts: number): void {
    this.start(subscription, {
      messageId: String(message.MessageId),
      messageType: message.Type as SnsMessageType,
      eventType: null,
      escrowId: null,
      headers: {
        "x-amz-sns-message-type": String(message.Type),
        "x-amz-sns-message-id": String(message.MessageId),
        "x-amz-sns-topic-arn": subscription.topicArn,
      },
      body: JSON.stringify(message),
      attempts,
    });
  }

  private start(
    subscription: Subscription,
    d: {
      messageId: string;
      messageType: SnsMessageType;
      eventType: string | null;
      escrowId: string | null;
      headers: Record<string, string>;
      body: string;
      attempts: number;
    },
  ): void {
    const signal = this.abort.signal;
    const run = (async () => {
      for (let attempt = 1; attempt <= d.attempts; attempt++) {
        if (signal.aborted) return;
        let status: number | null = null;
        let error: string | undefined;
        try {
          const response = await fetch(subscription.endpoint, {
            method: "POST",
            headers: { "content-type": "text/plain; charset=UTF-8", "user-agent": USER_AGENT, ...d.headers },
            body: d.body,
            redirect: "manual",
            signal: AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]),
          });
          status = response.status;
          await response.arrayBuffer().catch(() => undefined);
        } catch (e) {
          if (signal.aborted) return;
          error = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
        }
        const delivered = status !== null && status >= 200 && status < 300;
        const again = !delivered && retryable(status) && attempt < d.attempts;
        await this.log
          .record({
            messageId: d.messageId,
            subscriptionArn: subscription.arn,
            topicArn: subscription.topicArn,
            endpoint: subscription.endpoint,
            messageType: d.messageType,
            eventType: d.eventType,
            escrowId: d.escrowId,
            attempt,
            status,
            ...(error ? { error } : {}),
            outcome: delivered ? "delivered" : again ? "retrying" : "failed",
            at: new Date(this.now()).toISOString(),
          })
          .catch((e) => this.report("could not log a delivery attempt", e));
        if (!again) return;
        await this.sleep(this.delays[attempt - 1] ?? 0, signal);
      }
    })();
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }
}

function parsed(message: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(message);
    return value && typeof value === "object" ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
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
