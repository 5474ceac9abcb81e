import {
  AuthorizationType,
  type CfnMethod,
  type Method,
  MockIntegration,
  PassthroughBehavior,
  type RestApi,
} from "aws-cdk-lib/aws-apigateway";
import { PROBLEM_CONTENT_TYPE, PROBLEMS } from "../../functions/api/problem";
import { problemTemplate } from "./api-problems";

/**
 * 405 `method_not_allowed` with `Allow` (API.md v1.2, "For integrators") for a
 * method that a path of the API does not serve. API Gateway answers an
 * unknown method itself with MISSING_AUTHENTICATION_TOKEN, the same answer as
 * for an unknown path, and a gateway response's headers cannot depend on the
 * path; so every resource that serves a method also gets an `ANY` method
 * (which API Gateway matches only when no method of the resource's own does)
 * whose MOCK integration answers the 405 with that resource's `Allow`. It
 * reaches no function and no data, so it needs no authorizer.
 */

/**
 * The content types a MOCK's request template is given for: API Gateway
 * refuses a body of any other type before the mock (415, answered as the
 * `UNSUPPORTED_MEDIA_TYPE` gateway response: 400 "must be JSON"); without a
 * body the JSON template applies.
 */
const REQUEST_TYPES = [
  "application/json",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data",
  "application/xml",
  "application/octet-stream",
];

export const allowOf = (methods: readonly string[]) => [...new Set(methods)].sort().join(", ");

export function methodNotAllowedDetail(methods: readonly string[]): string {
  const allow = [...new Set(methods)].sort();
  const list = allow.length === 1 ? allow[0] : `${allow.slice(0, -1).join(", ")} and ${allow.at(-1)}`;
  return `This path serves ${list} only.`;
}

/** Adds the ANY method answering 405 to each served path (`path` → the methods it serves). */
export function addMethodNotAllowed(api: RestApi, served: ReadonlyMap<string, readonly string[]>): Method[] {
  const added: Method[] = [];
  for (const [path, methods] of served) {
    const allow = allowOf(methods);
    const body = problemTemplate("method_not_allowed", JSON.stringify(methodNotAllowedDetail(methods)));
    const headers = {
      "method.response.header.Allow": `'${allow}'`,
      "method.response.header.Content-Type": `'${PROBLEM_CONTENT_TYPE}'`,
      "method.response.header.Cache-Control": "'no-store'",
    };
    const status = String(PROBLEMS.method_not_allowed.status);
    const method = api.root.resourceForPath(path).addMethod(
      "ANY",
      new MockIntegration({
        passthroughBehavior: PassthroughBehavior.NEVER,
        requestTemplates: Object.fromEntries(REQUEST_TYPES.map((t) => [t, `{"statusCode": ${status}}`])),
        integrationResponses: [
          {
            statusCode: status,
            responseTemplates: { "application/json": body },
            responseParameters: headers,
          },
        ],
      }),
      {
        authorizationType: AuthorizationType.NONE,
        methodResponses: [
          {
            statusCode: status,
            responseParameters: Object.fromEntries(Object.keys(headers).map((h) => [h, true])),
          },
        ],
      },
    );
    (method.node.defaultChild as CfnMethod).addMetadata("escrow:route", `ANY ${path}`);
    added.push(method);
  }
  return added;
}
