import type { LocalUser } from "./auth-users";
import { subOf } from "./auth-users";
import { LOCAL_REGION, type LocalFunction, type Template } from "./template";

/**
 * The user pool's pre-token-generation trigger, as Cognito runs it (event
 * V2_0): the local issuer asks the stack's own trigger function for the
 * claims of a person's access token, as the resource policy that lets the
 * pool invoke it allows — so the tenant claim comes from the same code in
 * both places.
 */
export type TokenClaims = (
  user: LocalUser,
  clientId: string,
  scopes: string[],
) => Promise<Record<string, string>>;

export function poolTrigger(
  template: Template,
  fn: LocalFunction,
  invoke: (fn: LocalFunction, event: unknown) => Promise<unknown>,
  /** Whether the pool may invoke it (the function's resource policy); an error message when not. */
  mayInvoke: (functionArn: string, poolArn: string) => string | undefined,
): TokenClaims {
  const pool = Object.entries(template.Resources).find(([, r]) => r.Type === "AWS::Cognito::UserPool")?.[0];
  const poolArn = `arn:aws:cognito-idp:${LOCAL_REGION}:000000000000:userpool/${pool ?? "UserPool"}`;
  return async (user, clientId, scopes) => {
    const refused = mayInvoke(fn.arn, poolArn);
    if (refused) throw new Error(refused);
    const out = (await invoke(fn, {
      version: "2",
      triggerSource: "TokenGeneration_HostedAuth",
      region: LOCAL_REGION,
      userPoolId: `${LOCAL_REGION}_local`,
      userName: user.username,
      callerContext: { awsSdkVersion: "local", clientId },
      request: {
        userAttributes: { sub: subOf(user.username), "custom:tenant": user.tenantId },
        groupConfiguration: { groupsToOverride: [], iamRolesToOverride: [] },
        scopes,
      },
      response: {},
    })) as {
      response?: {
        claimsAndScopeOverrideDetails?: {
          accessTokenGeneration?: { claimsToAddOrOverride?: Record<string, string> };
        };
      };
    };
    return out.response?.claimsAndScopeOverrideDetails?.accessTokenGeneration?.claimsToAddOrOverride ?? {};
  };
}
