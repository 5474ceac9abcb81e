import { Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  type CfnMethod,
  CognitoUserPoolsAuthorizer,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  type Method,
  MethodLoggingLevel,
  MockIntegration,
  type Model,
  PassthroughBehavior,
  RequestValidator,
  RestApi,
} from "aws-cdk-lib/aws-apigateway";
import {
  AccountRecovery,
  FeaturePlan,
  LambdaVersion,
  Mfa,
  ResourceServerScope,
  StringAttribute,
  UserPool,
  type UserPoolDomain,
  UserPoolOperation,
  UserPoolResourceServer,
} from "aws-cdk-lib/aws-cognito";
import type { IKey } from "aws-cdk-lib/aws-kms";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import {
  type BodySettings,
  Health,
  RESOURCE_SERVER,
  SCOPE_DESCRIPTIONS,
  SCOPES,
  type ScopeName,
} from "../../functions/api/routes";
import type { FunctionSpec } from "../service-functions";
import { gatewaySchema } from "./api-models";
import { addGatewayProblems } from "./api-problems";
import { addMethodNotAllowed } from "./method-not-allowed";
import { settingsFromContext } from "./settings";

export interface EscrowApiProps {
  /** The API functions with their routes. */
  routes: ReadonlyArray<{ spec: FunctionSpec; fn: IFunction }>;
  cognitoDomainPrefix: string;
  rateLimit: number;
  burstLimit: number;
  createCloudWatchRole: boolean;
  logsKey: IKey;
  /** Puts a signed-in person's tenant (`custom:tenant`) into their access token (pre-token-generation, V2_0). */
  tenantClaimTrigger: IFunction;
  /**
   * The currencies the create body's model accepts (the functions' SUPPORTED_CURRENCIES);
   * by default the stack's setting from context `supportedCurrencies`.
   */
  supportedCurrencies?: readonly string[];
}

export const STAGE_NAME = "prod";
/** Every scope of the resource server: what the gateway requires of any token. */
export const SERVICE_SCOPES = Object.values(SCOPES);

/**
 * The public REST API, built from the route table (functions/api/routes.ts):
 * Cognito (client-credentials only) issues the tokens, and a Cognito
 * authorizer checks them on every method but health. It admits an access
 * token carrying any of the service's scopes (never an ID token); the function
 * then checks the route's own scopes from the same table. API Gateway answers
 * a valid token that lacks a method scope with 401, while API.md promises 403
 * for "wrong scope" (e.g. a marketplace token on an ops route); checking in the
 * function gives that 403 in AWS and locally alike. POST bodies are validated
 * against models generated from the routes' zod schemas, and API Gateway's own
 * errors are problem documents.
 */
export class EscrowApi extends Construct {
  readonly api: RestApi;
  readonly userPool: UserPool;
  readonly resourceServer: UserPoolResourceServer;
  readonly domain: UserPoolDomain;
  readonly accessLogs: LogGroup;
  readonly healthMethod: Method;
  readonly methods: Method[] = [];
  /** The routes served without a token besides health: the documents about the API. */
  readonly publicMethods: Method[] = [];
  /** Each path's ANY method answering 405 for the methods the path does not serve. */
  readonly methodNotAllowed: Method[];

  constructor(scope: Construct, id: string, props: EscrowApiProps) {
    super(scope, id);

    this.userPool = new UserPool(this, "UserPool", {
      // Marketplaces are app clients with a secret (client credentials). People — each marketplace's
      // ops staff — are users an operator creates (nobody signs up), each of one tenant
      // (`custom:tenant`, set at creation and never changed), signing in to the ops console.
      selfSignUpEnabled: false,
      accountRecovery: AccountRecovery.NONE,
      // TOTP for the people who move money. Cognito makes MFA required only when a pool is created;
      // this pool exists, so it is offered and the operator enrols each ops user.
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      customAttributes: { tenant: new StringAttribute({ minLen: 1, maxLen: 64, mutable: false }) },
      passwordPolicy: {
        minLength: 14,
        requireDigits: true,
        requireLowercase: true,
        requireUppercase: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(1),
      },
      // Essentials, the plan AWS gives new pools, and the one that lets a trigger add a claim to access
      // tokens (V2_0). A client-credentials token carries no tenant claim: a machine's tenant is its
      // client's registration item (functions/adapters/dynamo-tenant-directory.ts).
      featurePlan: FeaturePlan.ESSENTIALS,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.userPool.addTrigger(
      UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG,
      props.tenantClaimTrigger,
      LambdaVersion.V2_0,
    );
    this.resourceServer = new UserPoolResourceServer(this, "ResourceServer", {
      userPool: this.userPool,
      identifier: RESOURCE_SERVER,
      userPoolResourceServerName: "Escrow API",
      scopes: (Object.keys(SCOPES) as ScopeName[]).map(
        (scopeName) =>
          new ResourceServerScope({ scopeName, scopeDescription: SCOPE_DESCRIPTIONS[scopeName] }),
      ),
    });
    this.domain = this.userPool.addDomain("Domain", {
      cognitoDomain: { domainPrefix: props.cognitoDomainPrefix },
    });

    this.accessLogs = new LogGroup(this, "AccessLogs", {
      retention: RetentionDays.ONE_YEAR,
      encryptionKey: props.logsKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.api = new RestApi(this, "Api", {
      restApiName: `${Stack.of(this).stackName}-api`,
      description: "Escrow (secured transaction) API v1",
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: props.createCloudWatchRole,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: STAGE_NAME,
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        accessLogFormat: accessLogFormat(),
        // Errors only, and never request/response bodies (they hold buyers' data).
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
        throttlingRateLimit: props.rateLimit,
        throttlingBurstLimit: props.burstLimit,
      },
    });
    // The stack outputs the /v1 base URL itself (ApiUrl); drop RestApi's own stage-root output.
    this.api.node.tryRemoveChild("Endpoint");
    addGatewayProblems(this.api);

    const authorizer = new CognitoUserPoolsAuthorizer(this, "Authorizer", {
      cognitoUserPools: [this.userPool],
      resultsCacheTtl: Duration.minutes(5),
    });
    // Parameters too (AwsSolutions-APIG2); no method declares required parameters, so only bodies are checked.
    const bodyValidator = new RequestValidator(this, "BodyValidator", {
      restApi: this.api,
      requestValidatorName: "body-and-parameters",
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    const bodySettings: BodySettings = {
      currencies: props.supportedCurrencies ?? settingsFromContext(this.node).supportedCurrencies.split(","),
    };
    /** Each path's methods, for the 405 of the others. */
    const served = new Map<string, string[]>([[Health.path, [Health.method]]]);
    for (const { spec, fn } of props.routes) {
      const route = spec.route;
      if (!route) throw new Error(`${spec.id} is an API function without a route`);
      const resource = this.api.root.resourceForPath(route.path);
      let model: Model | undefined;
      if (route.body) {
        model = this.api.addModel(`${spec.id}Request`, {
          modelName: `${spec.id}Request`,
          contentType: "application/json",
          schema: gatewaySchema(route.body(bodySettings)),
        });
      }
      const integration = new LambdaIntegration(fn, { allowTestInvoke: false });
      const method =
        route.scopes.length === 0
          ? // A document about the API itself (API.md v1.2): public, like health.
            resource.addMethod(route.method, integration, { authorizationType: AuthorizationType.NONE })
          : resource.addMethod(route.method, integration, {
              authorizer,
              authorizationType: AuthorizationType.COGNITO,
              // Any service scope passes the gateway; the route's scope is enforced by the function (403).
              authorizationScopes: SERVICE_SCOPES,
              ...(model
                ? { requestValidator: bodyValidator, requestModels: { "application/json": model } }
                : {}),
            });
      if (route.scopes.length === 0) this.publicMethods.push(method);
      served.set(route.path, [...(served.get(route.path) ?? []), route.method]);
      // For readers of the template (the local runtime): the route and its function, without
      // rebuilding paths from the resource tree.
      const cfn = method.node.defaultChild as CfnMethod;
      cfn.addMetadata("escrow:route", `${route.method} ${route.path}`);
      cfn.addMetadata("escrow:functionId", spec.id);
      this.methods.push(method);
    }

    // Liveness without a token and without a Lambda: API Gateway answers itself.
    this.healthMethod = this.api.root.resourceForPath(Health.path).addMethod(
      Health.method,
      new MockIntegration({
        passthroughBehavior: PassthroughBehavior.WHEN_NO_MATCH,
        requestTemplates: { "application/json": '{"statusCode": 200}' },
        integrationResponses: [
          {
            statusCode: "200",
            responseTemplates: { "application/json": '{"status":"ok"}' },
            responseParameters: { "method.response.header.Cache-Control": "'no-store'" },
          },
        ],
      }),
      {
        authorizationType: AuthorizationType.NONE,
        methodResponses: [
          { statusCode: "200", responseParameters: { "method.response.header.Cache-Control": true } },
        ],
      },
    );
    (this.healthMethod.node.defaultChild as CfnMethod).addMetadata(
      "escrow:route",
      `${Health.method} ${Health.path}`,
    );
    this.methodNotAllowed = addMethodNotAllowed(this.api, served);
  }

  /** The token endpoint of the client-credentials grant. */
  get tokenEndpoint(): string {
    return `${this.domain.baseUrl()}/oauth2/token`;
  }
}

/**
 * JSON access log: who (client id), what, how it ended, and why when API
 * Gateway refused it. API Gateway does not escape substituted values, so
 * fields a caller controls verbatim (user agent) are left out: a caller cannot
 * break or forge log lines. Error messages are API Gateway's own texts.
 */
function accessLogFormat(): AccessLogFormat {
  const fields = {
    requestId: AccessLogField.contextRequestId(),
    extendedRequestId: AccessLogField.contextExtendedRequestId(),
    requestTime: AccessLogField.contextRequestTime(),
    ip: AccessLogField.contextIdentitySourceIp(),
    httpMethod: AccessLogField.contextHttpMethod(),
    resourcePath: AccessLogField.contextResourcePath(),
    path: AccessLogField.contextPath(),
    protocol: AccessLogField.contextProtocol(),
    status: AccessLogField.contextStatus(),
    responseLength: AccessLogField.contextResponseLength(),
    responseLatency: AccessLogField.contextResponseLatency(),
    integrationStatus: AccessLogField.contextIntegrationStatus(),
    integrationLatency: AccessLogField.contextIntegrationLatency(),
    clientId: AccessLogField.contextAuthorizerClaims("client_id"),
    errorType: AccessLogField.contextErrorResponseType(),
    wafResponseCode: AccessLogField.contextWafResponseCode(),
    errorMessage: AccessLogField.contextErrorMessage(),
    xrayTraceId: AccessLogField.contextXrayTraceId(),
  };
  return AccessLogFormat.custom(JSON.stringify(fields));
}
