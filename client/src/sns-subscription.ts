import {
  AWS_SNS_CERTIFICATE_HOSTS,
  isAllowedSnsUrl,
  type SnsMessage,
  SnsVerificationError,
  type VerifyOptions,
  verifySnsMessage,
} from "./verify-sns-message.js";

/**
 * Confirms the subscription a verified `SubscriptionConfirmation` asks for, by
 * visiting its SubscribeURL, only on a host the certificate allowlist allows
 * (the URL comes from the message: never fetch one that is not SNS's).
 * Returns the subscription's ARN.
 */
export async function confirmSubscription(
  input: string | Uint8Array | object,
  options: VerifyOptions & { fetch?: typeof fetch },
): Promise<string> {
  const message: SnsMessage = await verifySnsMessage(input, options);
  if (message.Type !== "SubscriptionConfirmation" || !message.SubscribeURL)
    throw new SnsVerificationError(`a ${message.Type} confirms no subscription`);
  const url = new URL(message.SubscribeURL);
  if (!isAllowedSnsUrl(url, options.certificateHosts ?? AWS_SNS_CERTIFICATE_HOSTS))
    throw new SnsVerificationError(`the SubscribeURL's host ${url.host} is not allowed`);
  const res = await (options.fetch ?? fetch)(url.href, { redirect: "error" });
  const text = await res.text();
  if (!res.ok)
    throw new SnsVerificationError(
      `SNS refused the confirmation (HTTP ${res.status}): ${text.slice(0, 200)}`,
    );
  const arn = /<SubscriptionArn>([^<]+)<\/SubscriptionArn>/.exec(text)?.[1];
  if (!arn) throw new SnsVerificationError("SNS's answer names no subscription");
  return arn;
}
