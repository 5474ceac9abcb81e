import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";

/**
 * Every event the end-to-end suite sees is held to its type's JSON Schema,
 * as the service itself serves them (`GET /v1/events/schemas`): the escrow
 * events and ops alerts on `/_local/notifications`, when a test reads them
 * (client.ts) and all of them when a test file's service stops (server.ts).
 */

const validators = new Map<string, Promise<Map<string, ValidateFunction>>>();

/** A GET, once more if a kept-alive connection the server had just closed was reused ("other side closed"). */
async function get(url: string): Promise<Response> {
  try {
    return await fetch(url);
  } catch {
    return fetch(url, { headers: { Connection: "close" } });
  }
}

/** The served schemas of the service at `url`, compiled once. */
function validatorsOf(url: string): Promise<Map<string, ValidateFunction>> {
  let found = validators.get(url);
  if (!found) {
    found = (async () => {
      const res = await get(`${url}/v1/events/schemas`);
      if (res.status !== 200) throw new Error(`GET /v1/events/schemas answered ${res.status}`);
      const { items } = (await res.json()) as { items: { type: string; schema: Record<string, unknown> }[] };
      const ajv = new Ajv2020({ strict: true, allErrors: true });
      return new Map(items.map((i) => [i.type, ajv.compile(i.schema)]));
    })();
    validators.set(url, found);
  }
  return found;
}

/** What is wrong with each event that does not match its type's schema (empty when all do). */
export async function invalidEvents(url: string, events: unknown[]): Promise<string[]> {
  const schemas = await validatorsOf(url);
  const problems: string[] = [];
  for (const event of events) {
    const type = (event as { type?: unknown } | null)?.type;
    const validate = typeof type === "string" ? schemas.get(type) : undefined;
    if (!validate)
      problems.push(`no schema for the event type ${String(type)}: ${JSON.stringify(event).slice(0, 300)}`);
    else if (!validate(event))
      problems.push(`${type} ${(event as { id?: string }).id}: ${JSON.stringify(validate.errors)}`);
  }
  return problems;
}

/** Throws, naming each, if any of these events does not match its schema. */
export async function expectValidEvents(url: string, events: unknown[]): Promise<void> {
  const problems = await invalidEvents(url, events);
  if (problems.length) throw new Error(`events that do not match their schema:\n${problems.join("\n")}`);
}

/** Every message the service at `url` has published on either topic, held to its schema. */
export async function expectAllPublishedEventsValid(url: string): Promise<number> {
  const res = await get(`${url}/_local/notifications?topic=all`);
  if (res.status !== 200) throw new Error(`/_local/notifications answered ${res.status}`);
  const { items } = (await res.json()) as { items: { event: unknown }[] };
  await expectValidEvents(
    url,
    items.map((i) => i.event),
  );
  return items.length;
}
