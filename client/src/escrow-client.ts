import createClient, { type Client } from "openapi-fetch";
import type { paths } from "./generated/openapi.js";
import { type ResilienceOptions, resilientFetch } from "./resilient-fetch.js";
import { type ClientCredentials, clientCredentials, type TokenSource } from "./token-source.js";

/**
 * The Escrow API client: openapi-fetch over the types generated from the
 * API's OpenAPI document, so every path, parameter, body and answer is typed
 * from the contract itself, sent through resilient-fetch.ts (idempotency keys,
 * tokens, retries).
 *
 *   const escrow = createEscrowClient({ baseUrl, credentials: { clientId, clientSecret, tokenUrl } });
 *   const { data, error } = await escrow.POST("/v1/escrows", { params: { header: { "Idempotency-Key": orderId } }, body });
 */

export type EscrowClient = Client<paths>;

export interface EscrowClientOptions extends Omit<ResilienceOptions, "tokens"> {
  /** The API's base URL, without `/v1`: the stack's ApiUrl less `/v1`, or `http://127.0.0.1:3000` locally. */
  baseUrl: string;
  /** Client credentials: the token is fetched, cached and renewed for you. */
  credentials?: Omit<ClientCredentials, "tokenUrl"> & { tokenUrl?: string };
  /** Or your own source of tokens. */
  tokens?: TokenSource;
}

export function createEscrowClient(options: EscrowClientOptions): EscrowClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const tokens =
    options.tokens ??
    (options.credentials
      ? clientCredentials(
          { ...options.credentials, tokenUrl: options.credentials.tokenUrl ?? `${baseUrl}/oauth2/token` },
          options.fetch
            ? {
                fetch: (url, init) =>
                  (options.fetch as (r: Request) => Promise<Response>)(new Request(url, init)),
              }
            : {},
        )
      : undefined);
  return createClient<paths>({
    baseUrl,
    fetch: resilientFetch({ ...options, ...(tokens ? { tokens } : {}) }),
  });
}
