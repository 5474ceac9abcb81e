import { buildOpenApi, LOCAL_SERVER } from "../../infra/openapi";
import { documentHandler } from "./document-handler";
import { GetOpenApiDocument } from "./routes";

// The document is generated from the route table and the handlers' own schemas by the same builder
// as `npm run openapi` (infra/openapi.ts); built once per container.
let built: ReturnType<typeof buildOpenApi> | undefined;
let builtFor: string | undefined;

/** GET /v1/openapi.json: the serving address first in `servers`, then local mode's. */
export const handler = documentHandler(GetOpenApiDocument, ({ baseUrl }) => {
  if (!built || builtFor !== baseUrl) {
    builtFor = baseUrl;
    const servers =
      baseUrl === LOCAL_SERVER.url
        ? [LOCAL_SERVER]
        : [{ url: baseUrl, description: "This API" }, LOCAL_SERVER];
    built = buildOpenApi(undefined, servers);
  }
  return built;
});
