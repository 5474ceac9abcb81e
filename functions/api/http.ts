import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import type { ZodMiniType as ZodType } from "zod/mini";
import { TENANT_CLAIM } from "../auth/claims";
import { ForbiddenError, NotFoundError, ValidationError } from "../domain/errors";
import { ESCROW_ID } from "../domain/escrow-id";
import type { OpsUser } from "../domain/types";
import { logger } from "../shared/logger";
import { inspectJsonText, RESERVED_KEY } from "./json-text";
import { toProblem } from "./problem";
import { requestHash } from "./request-hash";
import { type BodySettings, DEFAULT_BODY_SETTINGS, type FunctionRoute, type Scope } from "./routes";
import { UnauthorizedError } from "./unauthorized-error";
import { parseWithOurWords, validationErrorOf } from "./validation-messages";

/** API.md: a body over 16 KiB is 400 validation_error. */
export const MAX_BODY_BYTES = 16 * 1024;
const IDEMPOTENCY_KEY = /^[\u0020-\u007e]{1,255}$/;

export interface Caller {
  clientId: string;
  tenantId: string;
  scopes: ReadonlySet<Scope>;
  /** Who acts: a signed-in person's `sub` and `username`, or a machine client's id twice (API.md v1.2). */
  opsUser: OpsUser;
}

export interface ApiRequest<B, Q> {
  caller: Caller;
  body: B;
  query: Q;
  escrowId: string;
  idempotency?: { key: string; requestHash: string };
  event: APIGatewayProxyEvent;
}

export interface TenantResolver {
  tenantOf(clientId: string): Promise<string | null>;
}

export interface HandlerOptions {
  tenants: TenantResolver;
  /** What the route's body schema depends on (the configured currencies); defaults otherwise. */
  settings?: BodySettings;
}

export const json = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult => ({
  statusCode,
  headers: { "Content-Type": "application/json", "Cache-Control": "no-store", ...headers },
  body: JSON.stringify(body),
});

/** The answer of a write taken under an Idempotency-Key: a replay of the stored answer says so (`Idempotent-Replayed`). */
export const written = (
  statusCode: number,
  body: unknown,
  replayed: boolean,
  headers: Record<string, string> = {},
): APIGatewayProxyResult =>
  json(statusCode, body, { ...headers, ...(replayed ? { "Idempotent-Replayed": "true" } : {}) });

const header = (event: APIGatewayProxyEvent, name: string): string | undefined => {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {}))
    if (k.toLowerCase() === wanted && v !== undefined) return v;
  return undefined;
};

/**
 * The claims the REST API's Cognito authorizer passes on. The gateway admits
 * any token of the service (it would answer a missing method scope with 401);
 * the route's own scopes are enforced here, from the route table, with 403.
 */
async function authenticate(
  event: APIGatewayProxyEvent,
  scopes: readonly Scope[],
  tenants: TenantResolver,
): Promise<Caller> {
  const claims = (event.requestContext?.authorizer?.claims ?? {}) as Record<string, unknown>;
  const clientId = typeof claims.client_id === "string" ? claims.client_id : undefined;
  if (!clientId || claims.token_use !== "access") throw new UnauthorizedError();
  const granted = new Set(
    String(claims.scope ?? "")
      .split(" ")
      .filter(Boolean) as Scope[],
  );
  if (!scopes.some((s) => granted.has(s)))
    throw new ForbiddenError(`This route needs the scope ${scopes.join(" or ")}.`);
  const person = personOf(claims);
  if (person) {
    // A person signed in (authorization code): the tenant is the user's own, put in the token by the
    // user pool (its pre-token-generation trigger; locally the issuer). The console's app client is
    // shared by every tenant, so it never stands for one.
    const tenantId = claims[TENANT_CLAIM];
    if (typeof tenantId !== "string" || tenantId === "")
      throw new ForbiddenError("This user belongs to no marketplace.");
    return { clientId, tenantId, scopes: granted, opsUser: person };
  }
  const tenantId = await tenants.tenantOf(clientId);
  if (!tenantId) throw new ForbiddenError("This client is not registered with any marketplace.");
  return { clientId, tenantId, scopes: granted, opsUser: { id: clientId, name: clientId } };
}

/** The signed-in person a user token names (client-credentials tokens carry no `username`). */
function personOf(claims: Record<string, unknown>): OpsUser | null {
  const { sub, username } = claims;
  if (typeof username !== "string" || username === "" || typeof sub !== "string" || sub === "") return null;
  return { id: sub, name: username };
}

function parseBody<B>(event: APIGatewayProxyEvent, schema: ZodType<B>): { parsed: B; raw: unknown } {
  const text =
    event.body == null
      ? ""
      : event.isBase64Encoded
        ? Buffer.from(event.body, "base64").toString("utf8")
        : event.body;
  if (Buffer.byteLength(text, "utf8") > MAX_BODY_BYTES)
    throw new ValidationError(`The request body is larger than ${MAX_BODY_BYTES} bytes.`, [
      { path: "(body)", message: `must be at most ${MAX_BODY_BYTES} bytes` },
    ]);
  const contentType = header(event, "content-type") ?? "";
  if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType))
    throw new ValidationError("The request body must be JSON (Content-Type: application/json).", [
      { path: "(body)", message: "Content-Type must be application/json" },
    ]);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ValidationError("The request body is not valid JSON.", [
      { path: "(body)", message: "is not valid JSON" },
    ]);
  }
  const result = parseWithOurWords(schema, raw);
  if (!result.success) throw validationErrorOf(result.error);
  // What JSON.parse hides: integers written as floats (12999.0000000000001 parses to 12999) and
  // `__proto__` members (zod skips them, so they would vanish).
  const { nonIntegers, reservedKeys } = inspectJsonText(text);
  const errors = [
    ...nonIntegers.map((path) => ({ path, message: "must be an integer without a fraction or exponent" })),
    ...reservedKeys.map((path) => ({ path, message: `${RESERVED_KEY} is not allowed as a key` })),
  ];
  if (errors.length > 0)
    throw new ValidationError(
      `The request is invalid: ${errors.map((e) => `${e.path} ${e.message}`).join("; ")}`,
      errors,
    );
  return { parsed: result.data, raw };
}

function parseQuery<Q>(event: APIGatewayProxyEvent, schema: ZodType<Q>): Q {
  const multi = event.multiValueQueryStringParameters ?? {};
  for (const [name, values] of Object.entries(multi))
    if ((values?.length ?? 0) > 1)
      throw new ValidationError(`The query parameter ${name} is given more than once.`, [
        { path: name, message: "must be given at most once" },
      ]);
  const result = parseWithOurWords(schema, event.queryStringParameters ?? {});
  if (!result.success)
    throw validationErrorOf(result.error, { unknownKey: "query parameter", rootPath: "(query)" });
  return result.data;
}

function idempotencyKey(event: APIGatewayProxyEvent, mode: "required" | "optional") {
  const key = header(event, "idempotency-key");
  if (key === undefined) {
    if (mode === "required")
      throw new ValidationError("The Idempotency-Key header is required.", [
        { path: "Idempotency-Key", message: "is required" },
      ]);
    return undefined;
  }
  if (!IDEMPOTENCY_KEY.test(key))
    throw new ValidationError("The Idempotency-Key header must be 1-255 printable ASCII characters.", [
      { path: "Idempotency-Key", message: "must be 1-255 printable ASCII characters" },
    ]);
  return key;
}

/**
 * A thin API handler for one route of the route table: middy, logging with
 * the Lambda context, the route's scopes, validation of path, query and body
 * against the route's schemas, one call into the service, and every error
 * mapped once to a problem document.
 */
export function apiHandler<B = undefined, Q = undefined>(
  route: FunctionRoute<B, Q>,
  options: HandlerOptions,
  fn: (request: ApiRequest<B, Q>) => Promise<APIGatewayProxyResult>,
) {
  const escrowPath = route.path.includes("{id}");
  const bodySchema = route.body?.(options.settings ?? DEFAULT_BODY_SETTINGS);
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      onError: async (request) => {
        const answer = toProblem(request.error);
        if (answer.statusCode >= 500)
          logger.error(answer.statusCode === 503 ? "a dependency is unavailable" : "request failed", {
            error: request.error as Error,
          });
        request.response = answer;
      },
    })
    .handler(async (event) => {
      const caller = await authenticate(event, route.scopes, options.tenants);
      logger.appendKeys({ tenantId: caller.tenantId, clientId: caller.clientId });
      const escrowId = escrowPath ? (event.pathParameters?.id ?? "") : "";
      if (escrowPath && !ESCROW_ID.test(escrowId)) throw new NotFoundError();
      if (escrowId) logger.appendKeys({ escrowId });
      const query = route.query ? parseQuery(event, route.query) : (undefined as Q);
      const key = route.idempotencyKey ? idempotencyKey(event, route.idempotencyKey) : undefined;
      let body = undefined as B;
      let raw: unknown = null;
      if (bodySchema) ({ parsed: body, raw } = parseBody(event, bodySchema));
      const idempotency = key
        ? { key, requestHash: requestHash(event.httpMethod, event.path ?? event.resource, raw) }
        : undefined;
      return fn({ caller, body, query, escrowId, idempotency, event });
    });
}
