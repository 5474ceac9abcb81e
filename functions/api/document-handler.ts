import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { logger } from "../shared/logger";
import { json } from "./http";
import { toProblem } from "./problem";
import type { FunctionRoute } from "./routes";

/**
 * A document about the API (API.md v1.2, "For integrators"), served without a
 * token: built once per container from the route table and the schemas the
 * handlers validate with, then answered from memory. Public, so a proxy may
 * keep it a few minutes.
 */
export function documentHandler<D>(
  route: FunctionRoute,
  build: (request: { baseUrl: string }) => Promise<D> | D,
) {
  if (route.kind !== "document" || route.scopes.length > 0)
    throw new Error(`${route.id} is not a public document route`);
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      onError: async (request) => {
        logger.error("the document could not be built", { error: request.error as Error });
        request.response = toProblem(request.error);
      },
    })
    .handler(async (event) =>
      json(200, await build({ baseUrl: baseUrlOf(event) }), { "Cache-Control": "public, max-age=300" }),
    );
}

/**
 * The address the caller reached the API at: in AWS `https://<domain>/<stage>`
 * (the request context's path less the route's path); locally the server's.
 */
export function baseUrlOf(event: APIGatewayProxyEvent): string {
  const headers = Object.fromEntries(
    Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
  );
  const proto = headers["x-forwarded-proto"] ?? "http";
  const host = event.requestContext?.domainName ?? headers.host ?? "127.0.0.1";
  const full = event.requestContext?.path ?? event.path;
  const prefix = full.endsWith(event.path) ? full.slice(0, full.length - event.path.length) : "";
  return `${proto}://${host}${prefix}`;
}
