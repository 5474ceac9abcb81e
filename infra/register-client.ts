/**
 * Registers a marketplace (tenant) with a deployed stack: creates its Cognito
 * app client (client-credentials grant, generated secret, one scope) and the
 * item that maps the client to the tenant. The secret is printed once.
 *
 *   npx tsx infra/register-client.ts --tenant acme --scope marketplace [--name "ACME backend"]
 *       [--stack Escrow] [--region eu-west-1] [--user-pool-id …] [--table-name …]
 *
 * Without --user-pool-id/--table-name the stack's outputs are read with
 * CloudFormation DescribeStacks. Uses the usual AWS credential chain.
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import {
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  DeleteUserPoolClientCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { ConditionalCheckFailedException, DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { clientRegistrationItem } from "../functions/adapters/dynamo-tenant-directory";
import { SCOPES, type ScopeName } from "../functions/api/routes";
import { OUTPUT } from "./constructs/outputs";

/** Tenant ids become part of every key (`T#<tenant>#…`): no `#`, nothing a key parser could trip on. */
const TENANT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface Registration {
  tenantId: string;
  scope: ScopeName;
  clientName: string;
  stackName: string;
  region?: string;
  userPoolId?: string;
  tableName?: string;
  tokenEndpoint?: string;
}

export function parseRegistration(argv: string[]): Registration {
  const { values } = parseArgs({
    args: argv,
    options: {
      tenant: { type: "string" },
      scope: { type: "string" },
      name: { type: "string" },
      stack: { type: "string", default: "Escrow" },
      region: { type: "string" },
      "user-pool-id": { type: "string" },
      "table-name": { type: "string" },
    },
    strict: true,
  });
  const tenantId = values.tenant ?? "";
  if (!TENANT_ID.test(tenantId))
    throw new Error("--tenant is required: lower-case letters, digits and hyphens, at most 63 characters");
  const scope = values.scope as ScopeName;
  if (!Object.hasOwn(SCOPES, scope))
    throw new Error(`--scope must be one of ${Object.keys(SCOPES).join(", ")}`);
  if (Boolean(values["user-pool-id"]) !== Boolean(values["table-name"]))
    throw new Error(
      "give both --user-pool-id and --table-name, or neither (then the stack outputs are read)",
    );
  return {
    tenantId,
    scope,
    clientName: values.name ?? `${tenantId}-${scope}`,
    stackName: values.stack ?? "Escrow",
    region: values.region,
    userPoolId: values["user-pool-id"],
    tableName: values["table-name"],
  };
}

async function stackOutputs(stackName: string, region?: string): Promise<Record<string, string>> {
  const cfn = new CloudFormationClient({ region });
  const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs: Record<string, string> = {};
  for (const o of Stacks?.[0]?.Outputs ?? [])
    if (o.OutputKey && o.OutputValue) outputs[o.OutputKey] = o.OutputValue;
  return outputs;
}

export async function register(r: Registration) {
  let { userPoolId, tableName, tokenEndpoint } = r;
  if (!userPoolId || !tableName) {
    const outputs = await stackOutputs(r.stackName, r.region);
    userPoolId = outputs[OUTPUT.userPoolId];
    tableName = outputs[OUTPUT.tableName];
    tokenEndpoint = outputs[OUTPUT.tokenEndpoint];
    if (!userPoolId || !tableName)
      throw new Error(`Stack ${r.stackName} has no ${OUTPUT.userPoolId}/${OUTPUT.tableName} outputs`);
  }

  const cognito = new CognitoIdentityProviderClient({ region: r.region });
  const { UserPoolClient: client } = await cognito.send(
    new CreateUserPoolClientCommand({
      UserPoolId: userPoolId,
      ClientName: r.clientName,
      GenerateSecret: true,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ["client_credentials"],
      AllowedOAuthScopes: [SCOPES[r.scope]],
      SupportedIdentityProviders: ["COGNITO"],
      // No user sign-in flows: only the token endpoint's client-credentials grant.
      ExplicitAuthFlows: ["ALLOW_REFRESH_TOKEN_AUTH"],
      AccessTokenValidity: 60,
      TokenValidityUnits: { AccessToken: "minutes" },
      EnableTokenRevocation: true,
      PreventUserExistenceErrors: "ENABLED",
    }),
  );
  if (!client?.ClientId || !client.ClientSecret) throw new Error("Cognito returned no client id or secret");

  const dynamo = new DynamoDBClient({ region: r.region });
  try {
    await dynamo.send(
      new PutItemCommand({
        TableName: tableName,
        Item: clientRegistrationItem({
          clientId: client.ClientId,
          tenantId: r.tenantId,
          scope: SCOPES[r.scope],
          clientName: r.clientName,
          createdAt: new Date().toISOString(),
        }),
        ConditionExpression: "attribute_not_exists(PK)",
      }),
    );
  } catch (error) {
    // Without its tenant mapping the client would only ever get 403s: take it back.
    await cognito.send(
      new DeleteUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: client.ClientId }),
    );
    if (error instanceof ConditionalCheckFailedException)
      throw new Error(`A mapping for client ${client.ClientId} already exists; the new client was deleted`);
    throw error;
  }
  return { clientId: client.ClientId, clientSecret: client.ClientSecret, tokenEndpoint };
}

async function main() {
  const registration = parseRegistration(process.argv.slice(2));
  const { clientId, clientSecret, tokenEndpoint } = await register(registration);
  console.log(
    JSON.stringify(
      {
        tenantId: registration.tenantId,
        scope: SCOPES[registration.scope],
        clientId,
        clientSecret,
        tokenEndpoint: tokenEndpoint ?? "(see the stack output TokenEndpoint)",
      },
      null,
      2,
    ),
  );
  console.error("Store the client secret now: it is not shown again.");
}

// Run only as a script (`npx tsx infra/register-client.ts …`), never on import.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
