/**
 * Stands in for `@aws-sdk/credential-provider-node` inside the Lambda bundles
 * (an esbuild alias set in service-function.ts; the code itself is unchanged
 * and runs locally with the full chain).
 *
 * In Lambda the default chain always ends at its first link, the environment
 * variables the runtime sets from the function's role. Bundling the whole
 * chain (SSO, STS, IMDS, INI files, login and their nested clients) costs
 * about 135 KB per bundle and cold-start time for code that never runs.
 */
interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export const defaultProvider = (_init?: unknown) => async (): Promise<Credentials> => {
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey)
    throw new Error("No AWS credentials in the environment (the Lambda runtime sets them from the role)");
  return { accessKeyId, secretAccessKey, sessionToken: process.env.AWS_SESSION_TOKEN };
};
