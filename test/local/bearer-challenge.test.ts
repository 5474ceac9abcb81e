import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bearerChallenge, GATEWAY_CHALLENGE, tokenProblemOf } from "../../functions/api/bearer-challenge";
import { LocalAuth } from "../../infra/local/auth";
import { removeDir, tempDir } from "./helpers";

/**
 * Why a token was refused, as the local gateway's 401 says it
 * (`WWW-Authenticate`, RFC 6750): classified from the Authorization header,
 * with tokens the local issuer really signed, one of them really expired.
 */
let dir: string;
beforeEach(async () => {
  dir = await tempDir("bearer");
});
afterEach(() => removeDir(dir));

const form = new URLSearchParams({ grant_type: "client_credentials" });
const basic = `Basic ${Buffer.from("demo-marketplace:demo-marketplace-secret").toString("base64")}`;

describe("the Bearer challenge of a 401", () => {
  it("tells a missing token, a malformed one, an expired one and an invalid one apart", async () => {
    let now = Date.parse("2026-12-01T10:00:00Z");
    const auth = await LocalAuth.create({ dataDir: dir, issuer: "http://issuer.test", now: () => now });
    const { access_token } = await auth.issueToken(form, basic);
    now += 3601_000; // an hour and a second later: the token the issuer signed has expired
    await expect(auth.verify(`Bearer ${access_token}`)).rejects.toThrow();
    expect(tokenProblemOf(`Bearer ${access_token}`, now)).toBe("expired");
    expect(tokenProblemOf(`Bearer ${access_token}`, now - 2000)).toBe("invalid"); // in date, refused otherwise
    expect(tokenProblemOf(undefined)).toBe("missing");
    expect(tokenProblemOf("Basic ZGVtbzpkZW1v")).toBe("missing"); // not the Bearer scheme: no token was sent
    for (const malformed of [
      "Bearer",
      "Bearer abc",
      "Bearer a.b",
      "Bearer !!.??.x",
      "Bearer e30.bm90IGpzb24.x",
    ])
      expect(tokenProblemOf(malformed), malformed).toBe("malformed");
  });

  it("names the realm alone without a token, and invalid_token with a description otherwise", () => {
    expect(bearerChallenge("missing")).toBe('Bearer realm="escrow"');
    expect(bearerChallenge("expired")).toMatch(
      /^Bearer realm="escrow", error="invalid_token", error_description="The access token has expired[^"]*"$/,
    );
    // RFC 6750: no quote or backslash inside error_description.
    expect(bearerChallenge("invalid", 'say "no" \\ twice')).toBe(
      `Bearer realm="escrow", error="invalid_token", error_description="say 'no' ' twice"`,
    );
    expect(GATEWAY_CHALLENGE).toMatch(/error="invalid_token"/);
  });
});
