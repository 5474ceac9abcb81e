import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

/**
 * The local issuer's people: ops staff who sign in to the ops console with
 * the authorization code grant (API.md v1.2). The built-in users unless
 * `ESCROW_LOCAL_USERS` holds a JSON array (or the path of a JSON file with
 * one) of `{ "username", "password", "tenantId" }`, which replaces them.
 * The passwords are documented demo values, like the demo clients' secrets.
 */
export interface LocalUser {
  username: string;
  password: string;
  tenantId: string;
}

export const DEFAULT_USERS: readonly LocalUser[] = [
  { username: "ops-alice", password: "ops-alice-password", tenantId: "demo" },
  { username: "ops-bob", password: "ops-bob-password", tenantId: "demo" },
  { username: "ops-olga", password: "ops-olga-password", tenantId: "other" },
];

export const USERS_ENV = "ESCROW_LOCAL_USERS";

/** The ops console's app client locally (public: no secret; PKCE instead). */
export const LOCAL_CONSOLE_CLIENT_ID = "ops-console";

/** A user's stable `sub`, as Cognito gives each user one (a UUID-shaped id, here derived from the name). */
export function subOf(username: string): string {
  const h = createHash("sha256").update(`escrow-local-user\u0000${username}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function usersFromEnv(env: NodeJS.ProcessEnv = process.env): LocalUser[] | undefined {
  const value = env[USERS_ENV]?.trim();
  if (!value) return undefined;
  const text = value.startsWith("[") ? value : readFileSync(value, "utf8");
  return parseUsers(JSON.parse(text) as unknown, USERS_ENV);
}

export function parseUsers(value: unknown, source = "users"): LocalUser[] {
  if (!Array.isArray(value)) throw new Error(`${source}: expected a JSON array of users`);
  const seen = new Set<string>();
  return value.map((u, i) => {
    const o = (u ?? {}) as Record<string, unknown>;
    const field = (k: string) => {
      const v = o[k];
      if (typeof v !== "string" || v === "")
        throw new Error(`${source}[${i}].${k}: expected a non-empty string`);
      return v;
    };
    const username = field("username");
    if (seen.has(username)) throw new Error(`${source}[${i}]: user ${username} is listed twice`);
    seen.add(username);
    return { username, password: field("password"), tenantId: field("tenantId") };
  });
}
