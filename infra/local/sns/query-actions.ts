import { invalidParameter } from "./errors";
import type { LocalSns } from "./service";
import { PENDING, type Subscription } from "./subscriptions";
import { type MessageAttributeValue, SnsServiceError } from "./types";

/**
 * The SNS API's actions the local SNS serves, each reading its Query-protocol
 * parameters (form fields, or a URL's query for SubscribeURL and
 * UnsubscribeURL) and returning the inside of its `<ActionResult>` element:
 * Publish, ListTopics, Subscribe, ConfirmSubscription, Unsubscribe,
 * ListSubscriptions, ListSubscriptionsByTopic, GetSubscriptionAttributes,
 * SetSubscriptionAttributes.
 */

export const xmlEscape = (s: string) =>
  s.replace(
    /[<>&'"]/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c] as string,
  );
const el = (name: string, value: string) => `<${name}>${xmlEscape(value)}</${name}>`;

/** A page of at most 100 members, as SNS pages its lists; NextToken is the next member's index. */
const PAGE = 100;
function page<T>(items: T[], token: string | null): { items: T[]; next: string | null } {
  const start = token ? Number(token) : 0;
  if (!Number.isInteger(start) || start < 0 || start > items.length) throw invalidParameter("NextToken");
  const end = start + PAGE;
  return { items: items.slice(start, end), next: end < items.length ? String(end) : null };
}

/** Reads `<Prefix>.entry.N.<a>` / `.<b>` pairs (MessageAttributes, Attributes). */
function entries(form: URLSearchParams, prefix: string, names: string[]): Record<string, string>[] {
  const found = new Map<string, Record<string, string>>();
  const pattern = new RegExp(
    `^${prefix}\\.entry\\.(\\d+)\\.(${names.map((n) => n.replace(/\./g, "\\.")).join("|")})$`,
  );
  for (const [key, value] of form) {
    const m = pattern.exec(key);
    if (!m) continue;
    const entry = found.get(m[1] as string) ?? {};
    entry[m[2] as string] = value;
    found.set(m[1] as string, entry);
  }
  return [...found.values()];
}

function messageAttributes(form: URLSearchParams): Record<string, MessageAttributeValue> | undefined {
  const list = entries(form, "MessageAttributes", [
    "Name",
    "Value.DataType",
    "Value.StringValue",
    "Value.BinaryValue",
  ]);
  if (list.length === 0) return undefined;
  const out: Record<string, MessageAttributeValue> = {};
  for (const entry of list) {
    const name = entry.Name;
    if (!name) throw invalidParameter("Message attribute name can not be null or empty");
    out[name] = {
      DataType: entry["Value.DataType"] ?? "",
      ...(entry["Value.StringValue"] !== undefined ? { StringValue: entry["Value.StringValue"] } : {}),
      ...(entry["Value.BinaryValue"] !== undefined ? { BinaryValue: entry["Value.BinaryValue"] } : {}),
    };
  }
  return out;
}

const member = (s: Subscription) =>
  `<member>${el("TopicArn", s.topicArn)}${el("Protocol", s.protocol)}${el(
    "SubscriptionArn",
    s.confirmed ? s.arn : PENDING,
  )}${el("Owner", s.owner)}${el("Endpoint", s.endpoint)}</member>`;

const subscriptionList = (subs: Subscription[], token: string | null) => {
  const { items, next } = page(subs, token);
  return `<Subscriptions>${items.map(member).join("")}</Subscriptions>${next ? el("NextToken", next) : ""}`;
};

type Action = (form: URLSearchParams, sns: LocalSns) => Promise<string | null>;

export const ACTIONS: Record<string, Action> = {
  async Publish(form, sns) {
    const get = (k: string) => form.get(k) ?? undefined;
    const { MessageId } = await sns.publish({
      TopicArn: get("TopicArn"),
      TargetArn: get("TargetArn"),
      Message: get("Message"),
      Subject: get("Subject"),
      MessageStructure: get("MessageStructure"),
      MessageGroupId: get("MessageGroupId"),
      MessageDeduplicationId: get("MessageDeduplicationId"),
      MessageAttributes: messageAttributes(form),
    });
    return el("MessageId", MessageId);
  },
  async ListTopics(form, sns) {
    const { items, next } = page(await sns.listTopics(), form.get("NextToken"));
    const topics = items.map((arn) => `<member>${el("TopicArn", arn)}</member>`).join("");
    return `<Topics>${topics}</Topics>${next ? el("NextToken", next) : ""}`;
  },
  async Subscribe(form, sns) {
    const attributes: Record<string, string> = {};
    for (const { key, value } of entries(form, "Attributes", ["key", "value"]))
      if (key !== undefined) attributes[key] = value ?? "";
    const { SubscriptionArn } = await sns.subscribe({
      TopicArn: form.get("TopicArn") ?? undefined,
      Protocol: form.get("Protocol") ?? undefined,
      Endpoint: form.get("Endpoint") ?? undefined,
      Attributes: attributes,
      ReturnSubscriptionArn: form.get("ReturnSubscriptionArn") === "true",
    });
    return el("SubscriptionArn", SubscriptionArn);
  },
  async ConfirmSubscription(form, sns) {
    const { SubscriptionArn } = await sns.confirmSubscription({
      TopicArn: form.get("TopicArn") ?? undefined,
      Token: form.get("Token") ?? undefined,
    });
    return el("SubscriptionArn", SubscriptionArn);
  },
  async Unsubscribe(form, sns) {
    await sns.unsubscribe({ SubscriptionArn: form.get("SubscriptionArn") ?? undefined });
    return null;
  },
  async ListSubscriptions(form, sns) {
    return subscriptionList(await sns.listSubscriptions(), form.get("NextToken"));
  },
  async ListSubscriptionsByTopic(form, sns) {
    const topicArn = form.get("TopicArn");
    if (!topicArn) throw invalidParameter("TopicArn Reason: no value for required parameter");
    return subscriptionList(await sns.listSubscriptions(topicArn), form.get("NextToken"));
  },
  async GetSubscriptionAttributes(form, sns) {
    const s = await sns.getSubscription(form.get("SubscriptionArn") ?? undefined);
    const attributes: Record<string, string> = {
      SubscriptionArn: s.arn,
      TopicArn: s.topicArn,
      Protocol: s.protocol,
      Endpoint: s.endpoint,
      Owner: s.owner,
      PendingConfirmation: String(!s.confirmed),
      ConfirmationWasAuthenticated: "false",
      RawMessageDelivery: s.attributes.RawMessageDelivery ?? "false",
      ...s.attributes,
    };
    const list = Object.entries(attributes)
      .map(([k, v]) => `<entry>${el("key", k)}${el("value", v)}</entry>`)
      .join("");
    return `<Attributes>${list}</Attributes>`;
  },
  async SetSubscriptionAttributes(form, sns) {
    await sns.setSubscriptionAttribute(
      form.get("SubscriptionArn") ?? undefined,
      form.get("AttributeName") ?? undefined,
      form.get("AttributeValue") ?? "",
    );
    return null;
  },
};

/** The action's function, or SNS's InvalidAction. */
export function actionOf(name: string | null): Action {
  const action = name && Object.hasOwn(ACTIONS, name) ? ACTIONS[name] : undefined;
  if (!action)
    throw new SnsServiceError(
      "InvalidAction",
      `The action ${name ?? "(none)"} is not valid for this endpoint.`,
    );
  return action;
}
