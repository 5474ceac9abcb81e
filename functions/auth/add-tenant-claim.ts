import type { PreTokenGenerationV2TriggerEvent } from "aws-lambda";
import { TENANT_ATTRIBUTE, TENANT_CLAIM } from "./claims";

/**
 * The user pool's pre-token-generation trigger (event V2_0, which can add
 * claims to access tokens): a person's tokens carry their tenant. A user
 * without one gets no claim, and the API then answers 403.
 */
export const handler = async (event: PreTokenGenerationV2TriggerEvent) => {
  const tenant = event.request.userAttributes[TENANT_ATTRIBUTE];
  const claims: Record<string, string> = tenant ? { [TENANT_CLAIM]: tenant } : {};
  event.response = {
    claimsAndScopeOverrideDetails: {
      accessTokenGeneration: { claimsToAddOrOverride: claims },
      idTokenGeneration: { claimsToAddOrOverride: claims },
    },
  };
  return event;
};
