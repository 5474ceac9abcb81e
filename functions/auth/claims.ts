/**
 * How a signed-in person's tenant reaches the API (API.md v1.2, "People sign
 * in"): each user of the pool has the immutable attribute `custom:tenant`,
 * and the pre-token-generation trigger copies it into the access token's
 * `tenant` claim (the local issuer puts it there too). A client-credentials
 * token has no such claim: a machine's tenant is its client's registration.
 */
export const TENANT_ATTRIBUTE = "custom:tenant";
export const TENANT_CLAIM = "tenant";
