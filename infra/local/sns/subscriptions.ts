import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { invalidParameter, notFound } from "./errors";
import { type FilterPolicy, parseFilterPolicy } from "./filter-policy";

/**
 * HTTP(S) subscriptions of the local SNS, kept as SNS keeps them: made
 * pending by Subscribe, confirmed by the token the SubscriptionConfirmation
 * message carried (ConfirmSubscription, or a GET of its SubscribeURL), ended
 * by Unsubscribe. They are saved to the data folder on every change, so a
 * subscription outlives a restart. Subscribers configured at start-up
 * (ESCROW_LOCAL_SUBSCRIBERS) are confirmed from the start and not saved.
 */

export const PROTOCOLS = ["http", "https"] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** The subscription attributes the local SNS takes (DeliveryPolicy is kept, not applied: see README). */
const SETTABLE = ["FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "DeliveryPolicy"] as const;
type Settable = (typeof SETTABLE)[number];

export interface Subscription {
  arn: string;
  topicArn: string;
  protocol: Protocol;
  endpoint: string;
  owner: string;
  attributes: Partial<Record<Settable, string>>;
  confirmed: boolean;
  /** The confirmation token its SubscriptionConfirmation carried. */
  token: string;
  createdAt: string;
  /** Configured at start-up: confirmed, not saved. */
  fixed?: boolean;
}

/** What an answer lists for a subscription still waiting for its confirmation. */
export const PENDING = "PendingConfirmation";

function checkAttribute(name: string, value: string): void {
  if (!(SETTABLE as readonly string[]).includes(name))
    throw invalidParameter(`AttributeName Reason: ${name} is not an attribute of an HTTP subscription`);
  if (name === "FilterPolicy" && value !== "") parseFilterPolicy(value);
  if (name === "FilterPolicyScope" && value !== "MessageAttributes")
    throw invalidParameter("FilterPolicyScope: the local SNS filters on MessageAttributes only");
  if (name === "RawMessageDelivery" && value !== "true" && value !== "false")
    throw invalidParameter("RawMessageDelivery: must be true or false");
  if (name === "DeliveryPolicy")
    try {
      JSON.parse(value);
    } catch {
      throw invalidParameter("DeliveryPolicy: it is not valid JSON");
    }
}

export class SubscriptionStore {
  private readonly byArn = new Map<string, Subscription>();
  private readonly policies = new Map<string, FilterPolicy | undefined>();
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly owner: string,
    private readonly now: () => number = Date.now,
  ) {}

  async open(fixed: { url: string; topicArn: string }[] = []): Promise<void> {
    try {
      const saved = JSON.parse(await readFile(this.file, "utf8")) as Subscription[];
      for (const s of saved) this.put(s);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    for (const { url, topicArn } of fixed) {
      const id = createHash("sha256").update(`${topicArn} ${url}`).digest("hex").slice(0, 32);
      this.put({
        arn: `${topicArn}:startup-${id}`,
        topicArn,
        protocol: url.startsWith("https:") ? "https" : "http",
        endpoint: url,
        owner: this.owner,
        attributes: {},
        confirmed: true,
        token: "",
        createdAt: new Date(this.now()).toISOString(),
        fixed: true,
      });
    }
  }

  /**
   * Subscribe: a new pending subscription, or the one this endpoint already
   * has on the topic (SNS's answer to a repeated Subscribe). `created` says
   * whether a confirmation is to be sent.
   */
  subscribe(input: {
    topicArn: string;
    protocol: string;
    endpoint: string;
    attributes: Record<string, string>;
  }): { subscription: Subscription; created: boolean } {
    const protocol = input.protocol.toLowerCase();
    if (!(PROTOCOLS as readonly string[]).includes(protocol))
      throw invalidParameter(
        `Protocol Reason: the local SNS serves http and https subscriptions, not ${input.protocol}`,
      );
    let url: URL;
    try {
      url = new URL(input.endpoint);
    } catch {
      throw invalidParameter("Endpoint Reason: not a URL");
    }
    if (url.protocol !== `${protocol}:`)
      throw invalidParameter(`Endpoint Reason: an ${protocol} subscription needs an ${protocol}:// endpoint`);
    for (const [name, value] of Object.entries(input.attributes)) checkAttribute(name, value);
    const existing = [...this.byArn.values()].find(
      (s) => s.topicArn === input.topicArn && s.protocol === protocol && s.endpoint === input.endpoint,
    );
    if (existing) {
      const same =
        JSON.stringify(Object.entries(existing.attributes).sort()) ===
        JSON.stringify(Object.entries(input.attributes).sort());
      if (!same)
        throw invalidParameter("Attributes Reason: Subscription already exists with different attributes");
      return { subscription: existing, created: !existing.confirmed };
    }
    const subscription: Subscription = {
      arn: `${input.topicArn}:${randomUUID()}`,
      topicArn: input.topicArn,
      protocol: protocol as Protocol,
      endpoint: input.endpoint,
      owner: this.owner,
      attributes: { ...input.attributes },
      confirmed: false,
      token: randomBytes(64).toString("hex"),
      createdAt: new Date(this.now()).toISOString(),
    };
    this.put(subscription);
    this.save();
    return { subscription, created: true };
  }

  /** ConfirmSubscription: the pending subscription of the topic with this token. */
  confirm(topicArn: string, token: string): Subscription {
    const found = [...this.byArn.values()].find(
      (s) => s.topicArn === topicArn && s.token === token && !s.fixed,
    );
    if (!found) throw invalidParameter("Token");
    if (!found.confirmed) {
      found.confirmed = true;
      this.save();
    }
    return found;
  }

  unsubscribe(arn: string): Subscription {
    const found = this.get(arn);
    this.byArn.delete(arn);
    this.policies.delete(arn);
    this.save();
    return found;
  }

  get(arn: string): Subscription {
    const found = this.byArn.get(arn);
    if (!found) throw notFound("Subscription does not exist");
    return found;
  }

  setAttribute(arn: string, name: string, value: string): void {
    const found = this.get(arn);
    checkAttribute(name, value);
    if (value === "") delete found.attributes[name as Settable];
    else found.attributes[name as Settable] = value;
    this.policies.delete(arn);
    this.save();
  }

  list(topicArn?: string): Subscription[] {
    return [...this.byArn.values()].filter((s) => topicArn === undefined || s.topicArn === topicArn);
  }

  /** The confirmed subscriptions of a topic, each with its parsed filter policy. */
  receivers(topicArn: string): { subscription: Subscription; policy: FilterPolicy | undefined }[] {
    return this.list(topicArn)
      .filter((s) => s.confirmed)
      .map((subscription) => ({ subscription, policy: this.policyOf(subscription) }));
  }

  /** Waits for the last change to be on disk. */
  flush(): Promise<void> {
    return this.saving;
  }

  private policyOf(s: Subscription): FilterPolicy | undefined {
    if (!this.policies.has(s.arn))
      this.policies.set(
        s.arn,
        s.attributes.FilterPolicy ? parseFilterPolicy(s.attributes.FilterPolicy) : undefined,
      );
    return this.policies.get(s.arn);
  }

  private put(s: Subscription): void {
    this.byArn.set(s.arn, s);
  }

  /** Writes the saved subscriptions (a temporary file renamed over the old one: never half a file). */
  private save(): void {
    const text = JSON.stringify(
      this.list().filter((s) => !s.fixed),
      null,
      2,
    );
    this.saving = this.saving
      .catch(() => {})
      .then(async () => {
        await mkdir(dirname(this.file), { recursive: true });
        const partial = `${this.file}.${process.pid}.tmp`;
        await writeFile(partial, text);
        await rename(partial, this.file);
      });
  }
}
