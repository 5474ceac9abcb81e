import { cpSync, existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { App, Stack } from "aws-cdk-lib";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientRegistrationItem } from "../../functions/adapters/dynamo-tenant-directory";
import { EscrowTable } from "../../infra/constructs/escrow-table";
import { LogsKey } from "../../infra/constructs/logs-key";
import { ServiceFunction } from "../../infra/constructs/service-function";
import { REPO_ROOT } from "../../infra/escrow-stack";
import { FUNCTIONS } from "../../infra/service-functions";
import { KEYS_ONLY_TABLE } from "../support/dynalite";

/**
 * Real esbuild bundling of two functions, exactly as the stack configures it,
 * then the bundles are loaded the way Lambda loads them (CommonJS, outside
 * this "type": "module" package) and called.
 */

const require = createRequire(import.meta.url);
const BUNDLED = ["GetEscrow", "CreateEscrow", "OpsConsole", "GetOpenApiDocument", "ListEventSchemas"];
const bundles = new Map<string, string>(); // function id → directory holding index.js

type Handler = (
  event: Partial<APIGatewayProxyEvent>,
  context: Partial<Context>,
) => Promise<APIGatewayProxyResult>;
const context: Partial<Context> = {
  functionName: "test",
  awsRequestId: "req-1",
  getRemainingTimeInMillis: () => 10_000,
};

beforeAll(() => {
  const outdir = mkdtempSync(join(tmpdir(), "escrow-bundle-"));
  const app = new App({ outdir, context: { "aws:cdk:enable-asset-metadata": true } });
  const stack = new Stack(app, "Bundling");
  const table = new EscrowTable(stack, "Data");
  const logsKey = new LogsKey(stack, "LogsKey").key;
  for (const id of BUNDLED) {
    const spec = FUNCTIONS.find((f) => f.id === id);
    if (!spec) throw new Error(id);
    new ServiceFunction(stack, id, {
      spec,
      repoRoot: REPO_ROOT,
      environment: {
        TABLE_NAME: "escrow-test",
        STATE_MACHINE_ARN: "arn:aws:states:us-east-1:123456789012:stateMachine:test",
        SUPPORTED_CURRENCIES: "CNY,USD",
        PAYMENT_PROVIDER: "sandbox",
        CELL_ID: "",
        REMINDER_EARLY_SECONDS: "300",
        OPS_CONSOLE_CLIENT_ID: "console-client",
        OPS_AUTH_URL: "https://escrow.auth.us-east-1.amazoncognito.com",
        OPS_CONSOLE_ASSETS: "console",
      },
      logLevel: "ERROR",
      table,
      stateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:test",
      logsKey,
    });
  }
  const assembly = app.synth();
  const template = assembly.getStackByName("Bundling").template as {
    Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
  };
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== "AWS::Lambda::Function" || !r.Metadata) continue;
    // Outside the repository: no package.json with "type": "module" above it, as in the Lambda zip.
    const dir = mkdtempSync(join(tmpdir(), "escrow-lambda-"));
    cpSync(join(outdir, r.Metadata["aws:asset:path"] as string), dir, { recursive: true });
    bundles.set(r.Metadata["escrow:functionId"] as string, dir);
  }
}, 120_000);

describe("Lambda bundles", () => {
  it.each(BUNDLED)("%s: one minified CJS file with its source map and the AWS SDK inside", (id) => {
    const dir = bundles.get(id) ?? "";
    const code = readFileSync(join(dir, "index.js"), "utf8");
    expect(existsSync(join(dir, "index.js.map"))).toBe(true);
    expect(code.trimEnd().endsWith("//# sourceMappingURL=index.js.map")).toBe(true);
    expect(code).not.toMatch(/require\(["']@aws-sdk\//);
    expect(code).not.toMatch(/^import\s/m);
    const kb = statSync(join(dir, "index.js")).size / 1024;
    console.info(`${id} bundle: ${kb.toFixed(0)} KB`);
    // The benchmark's target: every bundle at most 400 KB.
    expect(kb).toBeLessThanOrEqual(400);
  });

  describe("running the bundles", () => {
    const saved = { ...process.env };
    let server: { close(cb?: () => void): void; address(): AddressInfo | string | null };

    beforeAll(async () => {
      const dynalite = require("dynalite") as (o: object) => typeof server & {
        listen(port: number, cb: () => void): void;
      };
      const db = dynalite({ createTableMs: 0 });
      await new Promise<void>((resolve) => db.listen(0, resolve));
      server = db;
      const endpoint = `http://127.0.0.1:${(db.address() as AddressInfo).port}`;
      Object.assign(process.env, {
        AWS_ENDPOINT_URL_DYNAMODB: endpoint,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        TABLE_NAME: "escrow-test",
        STATE_MACHINE_ARN: "arn:aws:states:us-east-1:123456789012:stateMachine:test",
        POWERTOOLS_LOG_LEVEL: "ERROR",
      });
      const client = new DynamoDBClient({ endpoint, region: "us-east-1" });
      await client.send(new CreateTableCommand({ TableName: "escrow-test", ...KEYS_ONLY_TABLE }));
      await client.send(
        new PutItemCommand({
          TableName: "escrow-test",
          Item: clientRegistrationItem({ clientId: "client-1", tenantId: "demo" }),
        }),
      );
    });

    afterAll(async () => {
      process.env = saved;
      await new Promise<void>((resolve) => server?.close(() => resolve()));
    });

    const handler = (id: string): Handler => require(join(bundles.get(id) ?? "", "index.js")).handler;

    it("OpsConsole serves its page and the hashed assets built into its bundle, cached for good", async () => {
      const dir = bundles.get("OpsConsole") ?? "";
      process.env.LAMBDA_TASK_ROOT = dir;
      process.env.OPS_CONSOLE_CLIENT_ID = "console-client";
      process.env.OPS_AUTH_URL = "https://escrow.auth.us-east-1.amazoncognito.com";
      process.env.OPS_CONSOLE_ASSETS = "console";
      const serve = handler("OpsConsole");
      // In an execute-api URL the stage comes first: the page's base is /prod/ops/.
      const page = await serve(
        {
          httpMethod: "GET",
          path: "/ops/escrows/esc_1",
          requestContext: { path: "/prod/ops/escrows/esc_1" } as never,
        },
        context,
      );
      expect(page.statusCode).toBe(200);
      expect(page.headers?.["Content-Security-Policy"]).toMatch(/script-src 'self';/);
      expect(page.headers?.["Content-Security-Policy"]).toContain(
        "connect-src 'self' https://escrow.auth.us-east-1.amazoncognito.com",
      );
      expect(page.body).toContain('<base href="/prod/ops/">');
      expect(page.body).not.toMatch(/<script>|<script [^>]*>[^<]/);
      const script = /src="(assets\/app\.[A-Z0-9]+\.js)"/.exec(page.body)?.[1] ?? "";
      expect(existsSync(join(dir, "console", script))).toBe(true);
      const asset = await serve(
        {
          httpMethod: "GET",
          path: `/ops/${script}`,
          requestContext: { path: `/prod/ops/${script}` } as never,
        },
        context,
      );
      expect(asset.statusCode).toBe(200);
      expect(asset.headers?.["Cache-Control"]).toBe("public, max-age=31536000, immutable");
      expect(asset.headers?.["Content-Type"]).toMatch(/^text\/javascript/);
      const bare = await serve(
        { httpMethod: "GET", path: "/ops", requestContext: { path: "/prod/ops" } as never },
        context,
      );
      expect(bare).toMatchObject({ statusCode: 301, headers: { Location: "/prod/ops/" } });
    });

    it("GetOpenApiDocument and ListEventSchemas serve their documents from the bundle, as in AWS", async () => {
      const event = (path: string) => ({
        httpMethod: "GET",
        path,
        headers: { "X-Forwarded-Proto": "https" },
        requestContext: {
          domainName: "abc123.execute-api.us-east-1.amazonaws.com",
          path: `/prod${path}`,
        } as never,
      });
      const openapi = await handler("GetOpenApiDocument")(event("/v1/openapi.json"), context);
      expect(openapi.statusCode, openapi.body).toBe(200);
      const document = JSON.parse(openapi.body);
      expect(document.openapi).toBe("3.1.0");
      expect(document.servers[0].url).toBe("https://abc123.execute-api.us-east-1.amazonaws.com/prod");
      const schemas = await handler("ListEventSchemas")(event("/v1/events/schemas"), context);
      expect(schemas.statusCode, schemas.body).toBe(200);
      expect(JSON.parse(schemas.body).items.map((i: { type: string }) => i.type)).toContain("escrow.funded");
    });

    it("CreateEscrow loads (its configuration checks pass at cold start)", () => {
      expect(typeof handler("CreateEscrow")).toBe("function");
    });

    it("GetEscrow answers 401 as a problem document without a token", async () => {
      const answer = await handler("GetEscrow")(
        { httpMethod: "GET", headers: {}, requestContext: {} as never },
        context,
      );
      expect(answer.statusCode).toBe(401);
      expect(answer.headers?.["Content-Type"]).toBe("application/problem+json");
    });

    it("GetEscrow signs and sends DynamoDB requests with the bundled SDK (404 for an unknown escrow)", async () => {
      const id = "esc_01JD6Z2Q8M3V4N5P6R7S8T9V0W";
      const answer = await handler("GetEscrow")(
        {
          httpMethod: "GET",
          path: `/v1/escrows/${id}`,
          pathParameters: { id },
          headers: {},
          requestContext: {
            authorizer: {
              claims: { client_id: "client-1", token_use: "access", scope: "escrow/marketplace" },
            },
          } as never,
        },
        context,
      );
      expect(answer.statusCode, answer.body).toBe(404);
      expect(JSON.parse(answer.body).code).toBe("not_found");
    });
  });
});
