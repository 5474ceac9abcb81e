import { Duration, Stack } from "aws-cdk-lib";
import {
  AuthorizationType,
  type CfnMethod,
  LambdaIntegration,
  type Method,
  type RestApi,
} from "aws-cdk-lib/aws-apigateway";
import {
  ClientAttributes,
  OAuthScope,
  type UserPool,
  type UserPoolClient,
  UserPoolClientIdentityProvider,
  type UserPoolResourceServer,
} from "aws-cdk-lib/aws-cognito";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import { RESOURCE_SERVER, SCOPES } from "../../functions/api/routes";
import { STAGE_NAME } from "./escrow-api";
import { addMethodNotAllowed } from "./method-not-allowed";

export interface OpsConsoleProps {
  api: RestApi;
  userPool: UserPool;
  resourceServer: UserPoolResourceServer;
  /** The function that serves the page and its assets (functions/console/serve.ts). */
  fn: IFunction;
}

/**
 * The ops console (API.md v1.2; ARCHITECTURE.md v1.2 decision 9): a static
 * page served by the API on its own origin under `/ops/`, and the user pool's
 * app client it signs people in with — the authorization code grant with
 * PKCE, no secret (a browser keeps none), the `escrow/ops` scope only, its
 * own URL as the only callback. The page is public (it holds no data); every
 * call it makes carries the signed-in user's token to the ops routes.
 */
export class OpsConsole extends Construct {
  /** The console's URL, `https://<api>.execute-api.<region>.<suffix>/prod/ops/`, without a reference to the stage. */
  readonly url: string;
  readonly client: UserPoolClient;
  readonly methods: Method[];
  /** The ANY methods answering 405 (with Allow: GET) on the console's paths. */
  readonly methodNotAllowed: Method[];

  constructor(scope: Construct, id: string, props: OpsConsoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.url = `https://${props.api.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}/${STAGE_NAME}/ops/`;

    this.client = props.userPool.addClient("OpsConsoleClient", {
      userPoolClientName: "ops-console",
      generateSecret: false,
      // Only the hosted sign-in page: no password, SRP or custom flow through the API.
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [
          OAuthScope.OPENID,
          OAuthScope.resourceServer(props.resourceServer, {
            scopeName: SCOPES.ops.slice(RESOURCE_SERVER.length + 1),
            scopeDescription: "ops",
          }),
        ],
        callbackUrls: [this.url],
        logoutUrls: [this.url],
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(8),
      // A user may not change any attribute through this client (least of all their tenant).
      writeAttributes: new ClientAttributes(),
    });

    const integration = new LambdaIntegration(props.fn, { allowTestInvoke: false });
    const ops = props.api.root.resourceForPath("/ops");
    const options = { authorizationType: AuthorizationType.NONE };
    this.methods = [
      ops.addMethod("GET", integration, options),
      ops.addResource("{proxy+}").addMethod("GET", integration, options),
    ];
    for (const [method, path] of [
      [this.methods[0], "/ops"],
      [this.methods[1], "/ops/{proxy+}"],
    ] as const) {
      const cfn = method?.node.defaultChild as CfnMethod;
      cfn.addMetadata("escrow:route", `GET ${path}`);
      cfn.addMetadata("escrow:functionId", "OpsConsole");
    }
    // The console's paths answer other methods as the API's do: 405 with Allow.
    this.methodNotAllowed = addMethodNotAllowed(
      props.api,
      new Map([
        ["/ops", ["GET"]],
        ["/ops/{proxy+}", ["GET"]],
      ]),
    );
  }
}
