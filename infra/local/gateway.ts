import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { bearerChallenge, TOKEN_PROBLEM_TEXT, tokenProblemOf } from "../../functions/api/bearer-challenge";
import type { LocalAuth } from "./auth";
import { readBody } from "./http-body";
import type { LocalLambdas } from "./lambdas";
import type { GatewayResponse, LocalFunction, LocalRoute } from "./template";

/**
 * The REST API as API Gateway runs it, rebuilt from the template's methods:
 * route matching on the resource tree, the Cognito authorizer (token checked,
 * method scopes matched, claims passed as strings), Lambda proxy events of the
 * REST (v1) shape, MOCK integrations, and the template's gateway responses for
 * the answers the gateway gives itself.
 */

const MAX_BODY_BYTES = 10 * 1024 * 1024; // API Gateway's own payload limit

interface Match {
  route: LocalRoute;
  pathParameters: Record<string, string> | null;
}

function compile(route: LocalRoute) {
  const names: string[] = [];
  const pattern = route.resourcePath
    .split("/")
    .map((segment) => {
      const param = segment.match(/^\{([^}+]+)(\+?)\}$/);
      if (param) {
        names.push(param[1] as string);
        // `{proxy+}`: the rest of the path, slashes and all (API Gateway's greedy parameter).
        return param[2] ? "(.+)" : "([^/]+)";
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return { regex: new RegExp(`^${pattern}/?$`), names };
}

/** Renders the small subset of VTL the gateway response templates use. */
export function renderGatewayTemplate(
  template: string,
  error: { message: string; validationErrorString?: string },
) {
  return template
    .replace(/\$context\.error\.messageString/g, JSON.stringify(error.message))
    .replace(
      /\$context\.error\.validationErrorString/g,
      JSON.stringify(error.validationErrorString ?? error.message),
    )
    .replace(/\$context\.error\.message/g, error.message)
    .replace(/\$context\.requestId/g, randomUUID());
}

export class LocalGateway {
  private readonly compiled: { route: LocalRoute; regex: RegExp; names: string[] }[];

  constructor(
    routes: LocalRoute[],
    private readonly gatewayResponses: Record<string, GatewayResponse>,
    private readonly auth: LocalAuth,
    private readonly lambdas: LocalLambdas,
    private readonly stageName: string,
    private readonly options: {
      /** IAM: whether the function's resource policy lets API Gateway invoke it for this request. */
      mayInvoke?: (fn: LocalFunction, method: string, path: string) => boolean;
    } = {},
  ) {
    this.compiled = routes.map((route) => ({ route, ...compile(route) }));
  }

  private match(method: string, path: string): Match | "no-method" | null {
    let pathExists = false;
    let any: Match | undefined;
    for (const c of this.compiled) {
      const m = path.match(c.regex);
      if (!m) continue;
      pathExists = true;
      if (c.route.method !== method && c.route.method !== "ANY") continue;
      const params = c.names.length
        ? Object.fromEntries(c.names.map((n, i) => [n, decodeURIComponent(m[i + 1] as string)]))
        : null;
      // As API Gateway: a resource's own method wins over its ANY method.
      if (c.route.method === "ANY") any ??= { route: c.route, pathParameters: params };
      else return { route: c.route, pathParameters: params };
    }
    return any ?? (pathExists ? "no-method" : null);
  }

  private gatewayAnswer(
    res: ServerResponse,
    type: string,
    message: string,
    extraHeaders: Record<string, string> = {},
  ) {
    const r = this.gatewayResponses[type] ??
      this.gatewayResponses[type.startsWith("DEFAULT_5") ? "DEFAULT_5XX" : "DEFAULT_4XX"] ?? {
        statusCode: 500,
        headers: {},
        template: JSON.stringify({ message }),
      };
    const body = renderGatewayTemplate(r.template, { message });
    res.writeHead(r.statusCode, {
      "Content-Type": "application/json",
      ...r.headers,
      ...extraHeaders,
      "Content-Length": Buffer.byteLength(body),
    });
    res.end(body);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://local");
    const method = (req.method ?? "GET").toUpperCase();
    const found = this.match(method, url.pathname);
    // API Gateway answers an unknown resource or method with MISSING_AUTHENTICATION_TOKEN (403 unless remapped).
    if (found === null || found === "no-method")
      return this.gatewayAnswer(res, "MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token");

    const { route, pathParameters } = found;
    let claims: Record<string, string> | undefined;
    if (route.authorization === "COGNITO_USER_POOLS") {
      try {
        claims = await this.auth.verify(req.headers.authorization, { scopes: route.scopes });
      } catch {
        // Locally the answer says why (AWS's gateway response can only say it in the detail).
        const why = tokenProblemOf(req.headers.authorization);
        return this.gatewayAnswer(res, "UNAUTHORIZED", TOKEN_PROBLEM_TEXT[why], {
          "WWW-Authenticate": bearerChallenge(why),
        });
      }
    }

    if (route.integration.type === "MOCK") {
      const { statusCode, body, headers } = route.integration;
      res.writeHead(statusCode, { ...headers, "Content-Length": Buffer.byteLength(body) });
      res.end(body);
      return;
    }

    let body: Buffer;
    try {
      body = await readBody(req, MAX_BODY_BYTES, () => new Error("too large"));
    } catch {
      return this.gatewayAnswer(res, "REQUEST_TOO_LARGE", "Request Too Long");
    }
    const fn = this.lambdas.functionByLogicalId(route.integration.functionLogicalId);
    if (!fn) return this.gatewayAnswer(res, "DEFAULT_5XX", "Internal server error");
    // What API Gateway answers when the function's policy does not let it invoke the function.
    if (this.options.mayInvoke && !this.options.mayInvoke(fn, method, url.pathname))
      return this.gatewayAnswer(res, "DEFAULT_5XX", "Internal server error");
    const event = proxyEvent(req, url, method, route, pathParameters, claims, body, this.stageName);
    let result: {
      statusCode?: number;
      headers?: Record<string, string>;
      multiValueHeaders?: Record<string, string[]>;
      body?: string;
      isBase64Encoded?: boolean;
    };
    try {
      result = (await this.lambdas.invoke(fn, event)) as typeof result;
    } catch (error) {
      console.error(`[local] ${fn.id} failed:`, error);
      return this.gatewayAnswer(res, "DEFAULT_5XX", "Internal server error");
    }
    if (!result || typeof result.statusCode !== "number")
      return this.gatewayAnswer(res, "DEFAULT_5XX", "Internal server error");
    const payload =
      result.body === undefined
        ? Buffer.alloc(0)
        : Buffer.from(result.body, result.isBase64Encoded ? "base64" : "utf8");
    const headers: Record<string, string | string[]> = { ...(result.headers ?? {}) };
    for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) headers[k] = v;
    headers["Content-Length"] = String(payload.length);
    res.writeHead(result.statusCode, headers);
    res.end(payload);
  }
}

/** The Lambda proxy integration event of a REST API (payload format 1.0). */
function proxyEvent(
  req: IncomingMessage,
  url: URL,
  method: string,
  route: LocalRoute,
  pathParameters: Record<string, string> | null,
  claims: Record<string, string> | undefined,
  body: Buffer,
  stage: string,
) {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    const value = req.rawHeaders[i + 1] as string;
    headers[name] = value;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) {
    query[k] = v;
    multiQuery[k] = [...(multiQuery[k] ?? []), v];
  }
  const hasQuery = Object.keys(query).length > 0;
  const now = new Date();
  const requestId = randomUUID();
  return {
    resource: route.resourcePath,
    path: url.pathname,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters,
    stageVariables: null,
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      authorizer: claims ? { claims } : undefined,
      domainName: String(req.headers.host ?? "127.0.0.1"),
      httpMethod: method,
      identity: {
        sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
        userAgent: String(req.headers["user-agent"] ?? ""),
      },
      // The path as called: locally the stage is not part of the URL (as behind a custom domain in AWS).
      path: url.pathname,
      protocol: `HTTP/${req.httpVersion}`,
      requestId,
      extendedRequestId: requestId,
      requestTime: now.toUTCString(),
      requestTimeEpoch: now.getTime(),
      resourceId: "local",
      resourcePath: route.resourcePath,
      stage,
    },
    body: body.length ? body.toString("utf8") : null,
    isBase64Encoded: false,
  };
}
