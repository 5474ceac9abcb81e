/**
 * The `WWW-Authenticate` challenge of a 401 (RFC 6750, section 3), so a client
 * tells a missing token from one to replace: without credentials of the Bearer
 * scheme the challenge names only the realm; with a token that failed, it says
 * `error="invalid_token"` and why, in words a person reads.
 */

export const REALM = "escrow";

/** Why a request was not authenticated. `missing`: no Bearer credentials at all. */
export type TokenProblem = "missing" | "malformed" | "expired" | "invalid";

/** The detail of the problem document and the challenge's `error_description` (no `"` or `\`: RFC 6750). */
export const TOKEN_PROBLEM_TEXT: Record<TokenProblem, string> = {
  missing: "An access token is required: send Authorization: Bearer <token> (OAuth 2.0 client credentials).",
  malformed: "The access token is malformed: expected Authorization: Bearer <JWT>.",
  expired: "The access token has expired: request a new one from the token endpoint.",
  invalid: "The access token is not valid for this API: its signature, issuer or type is wrong.",
};

export function bearerChallenge(problem: TokenProblem, description = TOKEN_PROBLEM_TEXT[problem]): string {
  if (problem === "missing") return `Bearer realm="${REALM}"`;
  return `Bearer realm="${REALM}", error="invalid_token", error_description="${description.replace(/["\\]/g, "'")}"`;
}

/**
 * What API Gateway's Cognito authorizer sends with every 401 in AWS. A gateway
 * response's headers are fixed (they cannot depend on why the authorizer
 * refused), so there one challenge covers all: the problem's `detail` is
 * Cognito's own text (`Unauthorized`, or `The incoming token has expired`).
 */
export const GATEWAY_CHALLENGE = bearerChallenge(
  "invalid",
  "The access token is missing, malformed, expired or not valid for this API: the problem detail says which",
);

/**
 * Classifies the Authorization header of a request a token check refused.
 * Expiry is read from the token's own claims (no signature needed to tell a
 * client its token is too old); anything else that parses is `invalid`.
 */
export function tokenProblemOf(authorization: string | undefined, now = Date.now()): TokenProblem {
  if (!authorization || !/^Bearer(\s|$)/i.test(authorization)) return "missing";
  const token = authorization.replace(/^Bearer\s*/i, "").trim();
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((p, i) => i < 2 && !/^[A-Za-z0-9_-]+$/.test(p))) return "malformed";
  let header: unknown;
  let claims: unknown;
  try {
    header = JSON.parse(Buffer.from(parts[0] as string, "base64url").toString("utf8"));
    claims = JSON.parse(Buffer.from(parts[1] as string, "base64url").toString("utf8"));
  } catch {
    return "malformed";
  }
  if (typeof header !== "object" || header === null || typeof claims !== "object" || claims === null)
    return "malformed";
  const exp = (claims as { exp?: unknown }).exp;
  if (typeof exp === "number" && exp * 1000 <= now) return "expired";
  return "invalid";
}
