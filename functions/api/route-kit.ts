import * as z from "zod/mini";
import { type ActionCommand, type ActionName, actorOf } from "../domain/escrow";
import { DEFAULT_CURRENCIES } from "../domain/money";

/**
 * What a route of the public API is (functions/api/routes.ts lists them; a
 * kind with actions of its own declares its routes in its folder, as
 * functions/domain/kinds/<kind>/api.ts). The registry never imports a
 * kind's routes, so a kind's routes can use this without an import cycle.
 */

/** The Cognito resource server: scopes are `escrow/<name>`. */
export const RESOURCE_SERVER = "escrow";
export const SCOPES = {
  marketplace: `${RESOURCE_SERVER}/marketplace`,
  ops: `${RESOURCE_SERVER}/ops`,
} as const;
export type ScopeName = keyof typeof SCOPES;

export type Scope = (typeof SCOPES)[ScopeName];
export const SCOPE_DESCRIPTIONS: Record<ScopeName, string> = {
  marketplace: "A marketplace's backend: create escrows and act for its buyers and sellers",
  ops: "A marketplace's operations staff: work the queue, resolve disputes, keep notes, take cases",
};
export const MARKETPLACE = [SCOPES.marketplace] as const;
export const OPS = [SCOPES.ops] as const;
export const EITHER = [SCOPES.marketplace, SCOPES.ops] as const;

/** Who the body's `actorId` must be: a party of the escrow, or nobody (the caller acts itself). */
export type Who = "buyer" | "seller" | "party" | "ops" | "none";

/** What a body schema may depend on: the deployment's settings. */
export interface BodySettings {
  /** SUPPORTED_CURRENCIES, the create body's currency list. */
  currencies: readonly string[];
}
export const DEFAULT_BODY_SETTINGS: BodySettings = { currencies: DEFAULT_CURRENCIES };

export interface RouteBase {
  /** The function's id: its CloudFormation id, the local runtime's name for it, the operationId. */
  id: string;
  method: "GET" | "POST";
  path: `/v1/${string}`;
  /** Any one of these admits the caller; none: no token at all. */
  scopes: readonly Scope[];
  who: Who;
  status: 200 | 201 | 202;
}

/** Answered by API Gateway itself, with no token and no function. */
export interface GatewayRoute extends RouteBase {
  kind: "gateway";
}

/** A route served by its own Lambda function. `{id}` in the path names an escrow. */
export interface FunctionRoute<B = unknown, Q = unknown> extends RouteBase {
  /**
   * `issue`: creates something that is not the escrow (a handover code): 201, never replayed.
   * `record`: adds something beside the escrow (a piece of evidence, an ops note): 201, replayed by its key.
   * `query`: a POST that changes nothing (a resolution's preview): 200.
   * `update`: changes something beside the escrow that is not a transition (who holds the case): 200.
   * `document`: a document about the API itself (OpenAPI, event schemas), served without a token.
   */
  kind: "read" | "create" | "action" | "issue" | "record" | "query" | "update" | "document";
  /** The request body as the handler parses it, given the deployment's settings. */
  body?: (settings: BodySettings) => z.ZodMiniType<B>;
  query?: z.ZodMiniType<Q>;
  /** Whether an Idempotency-Key is required or optional; absent: not read. */
  idempotencyKey?: "required" | "optional";
}

/** The body of an action: its command without the action's name. */
export type ActionBody<A extends ActionName> = Omit<Extract<ActionCommand, { action: A }>, "action">;

/** An action's body parses to its command: the handler hands it to the service as it is. */
export interface ActionRoute extends FunctionRoute<ActionCommand> {
  kind: "action";
  action: ActionName;
  body: (settings: BodySettings) => z.ZodMiniType<ActionCommand>;
}

export type Route = GatewayRoute | FunctionRoute;

/** Compiles only when a body schema has exactly the fields of its action's command. */
export type SameFields<B, T> = [Exclude<keyof B, keyof T> | Exclude<keyof T, keyof B>] extends [never]
  ? unknown
  : { "fields that differ from the action's command": Exclude<keyof B, keyof T> | Exclude<keyof T, keyof B> };

/**
 * An action on an escrow: POST to `/v1/escrows/{id}/<action>` (ops actions
 * under `/v1/ops/escrows/{id}/`), answered 202. The body schema must parse to
 * the body of the action's own command (checked by type, from the action's
 * name); the route parses it into the command. Who may act is the domain's
 * rule for that action (`actorOf`: a kind's own actions answer from the kind).
 */
/* @__NO_SIDE_EFFECTS__ */ export const actionRoute = <
  Id extends string,
  A extends ActionName,
  B extends ActionBody<A>,
>(
  id: Id,
  name: A,
  body: z.ZodMiniType<B> & SameFields<B, ActionBody<A>>,
  scopes: readonly Scope[] = MARKETPLACE,
) => {
  const fields: z.ZodMiniType<B> = body;
  const command = z.pipe(
    fields,
    z.transform((given: B) => ({ ...given, action: name })),
  );
  return {
    kind: "action",
    id,
    method: "POST",
    path: `/v1/${scopes.includes(SCOPES.ops) ? "ops/" : ""}escrows/{id}/${name}`,
    scopes,
    who: actorOf(name),
    status: 202,
    action: name,
    body: () => command,
    idempotencyKey: "optional",
  } as const;
};

/** What the OpenAPI document says of a kind's own action, beside its route (infra/openapi.ts adds the rest). */
export interface ActionDoc {
  summary: string;
  description: string;
}

/**
 * What a kind adds to the API's shapes, besides its own actions: its create
 * body's fields (each optional: its module's `terms` says which it requires),
 * its windows in the create body's `windows`, its fields of the delivery's
 * body, and its fields of the escrow
 * resource (for the OpenAPI document). functions/domain/kinds/api.ts composes
 * every kind's.
 */
export interface KindFields<Input, Delivery = Record<never, never>, Window extends string = string> {
  create(): { [K in keyof Input]-?: z.ZodMiniType<Input[K]> };
  /** Its fields of the delivery's body (the names its names.ts lists as `deliveryFields`). */
  delivery(): { [K in keyof Delivery]-?: z.ZodMiniType<Delivery[K]> };
  /** Its windows: exactly those its names.ts lists (a missing or an extra one fails to compile). */
  windows(): Record<Window, z.ZodMiniType<number | undefined>>;
  view(): Record<string, z.ZodMiniType>;
}
