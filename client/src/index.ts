/**
 * @escrow/client: the typed client of the Escrow API and the verification of
 * its events. See README.md.
 */
export { createEscrowClient, type EscrowClient, type EscrowClientOptions } from "./escrow-client.js";
export { type Escrow, type EscrowEvent, eventOf, type OpsAlert, type Problem } from "./events.js";
export type { components, operations, paths, webhooks } from "./generated/openapi.js";
export { type ResilienceOptions, resilientFetch, retryAfterSeconds } from "./resilient-fetch.js";
export { confirmSubscription } from "./sns-subscription.js";
export {
  type ClientCredentials,
  clientCredentials,
  TokenRequestError,
  type TokenSource,
} from "./token-source.js";
export {
  AWS_SNS_CERTIFICATE_HOSTS,
  canonicalString,
  type SnsMessage,
  type SnsMessageType,
  SnsVerificationError,
  type VerifyOptions,
  verifySnsMessage,
} from "./verify-sns-message.js";
