import { readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { loadEnv } from "../shared/config";
import { consolePage } from "./page";

/**
 * GET /ops and /ops/{proxy+}: the ops console (API.md v1.2). Its assets are
 * named by their content's hash and cached for good; every other address
 * under /ops/ is the page itself (each escrow's page has its own address), sent
 * with a Content-Security-Policy that runs scripts from this origin only. The
 * page holds no data: it reaches the API with the signed-in user's token.
 */
const env = loadEnv(["OPS_CONSOLE_CLIENT_ID", "OPS_AUTH_URL", "OPS_CONSOLE_ASSETS"]);
const dir = isAbsolute(env.OPS_CONSOLE_ASSETS)
  ? env.OPS_CONSOLE_ASSETS
  : resolve(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), env.OPS_CONSOLE_ASSETS);

// Read once per container: a few kilobytes.
const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as {
  script: string;
  style: string;
};
const assets = new Map(
  [manifest.script, manifest.style].map((file) => [
    file.slice("assets/".length),
    {
      body: readFileSync(join(dir, file), "utf8"),
      type: file.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8",
    },
  ]),
);

const SECURITY_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
};

const text = (
  statusCode: number,
  body: string,
  headers: Record<string, string> = {},
): APIGatewayProxyResult => ({
  statusCode,
  headers: {
    "Content-Type": "text/plain; charset=utf-8",
    "Cache-Control": "no-store",
    ...SECURITY_HEADERS,
    ...headers,
  },
  body,
});

/** Where the API is mounted: the stage in an execute-api URL (`/prod`), nothing locally. */
function mountOf(event: APIGatewayProxyEvent): string {
  const full = event.requestContext?.path ?? event.path;
  return full.endsWith(event.path) ? full.slice(0, full.length - event.path.length) : "";
}

export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const path = event.path ?? "/ops";
  const mount = mountOf(event);
  if (event.httpMethod !== "GET") return text(405, "Method Not Allowed", { Allow: "GET" });
  if (path === "/ops") return text(301, "", { Location: `${mount}/ops/` });
  if (path.startsWith("/ops/assets/")) {
    const asset = assets.get(path.slice("/ops/assets/".length));
    if (!asset) return text(404, "Not found");
    return {
      statusCode: 200,
      headers: {
        "Content-Type": asset.type,
        "Cache-Control": "public, max-age=31536000, immutable",
        ...SECURITY_HEADERS,
      },
      body: asset.body,
    };
  }
  const page = consolePage({
    base: `${mount}/ops/`,
    script: manifest.script,
    style: manifest.style,
    clientId: env.OPS_CONSOLE_CLIENT_ID,
    authUrl: env.OPS_AUTH_URL,
  });
  return {
    statusCode: 200,
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      // The page is small and names the assets of this deployment: asked for again each time.
      "Cache-Control": "no-cache",
      "Content-Security-Policy": page.csp,
      ...SECURITY_HEADERS,
    },
    body: page.html,
  };
};
