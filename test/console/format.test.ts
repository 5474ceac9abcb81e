import { describe, expect, it } from "vitest";
import { handler as addTenantClaim } from "../../functions/auth/add-tenant-claim";
import { consolePage } from "../../functions/console/page";
import { money, parseMajor, timeLeft } from "../../functions/console/web/format";

/** What the console shows and reads of money and time, its HTML, and the trigger that names a user's tenant. */
describe("money in major units", () => {
  it("shows minor units with the currency's own decimals", () => {
    expect(money(12999, "CNY")).toBe("CNY 129.99");
    expect(money(5, "USD")).toBe("USD 0.05");
    expect(money(123456789, "EUR")).toBe("EUR 1,234,567.89");
    expect(money(500, "JPY")).toBe("JPY 500");
    expect(money(0, "HKD")).toBe("HKD 0.00");
  });

  it("reads what a person types in major units, never through a float", () => {
    expect(parseMajor("40.00", "CNY")).toEqual({ minor: 4000 });
    expect(parseMajor("40", "CNY")).toEqual({ minor: 4000 });
    expect(parseMajor("40.5", "CNY")).toEqual({ minor: 4050 });
    expect(parseMajor("1,040.10", "USD")).toEqual({ minor: 104010 });
    expect(parseMajor("0.29", "USD")).toEqual({ minor: 29 });
    expect(parseMajor("400", "JPY")).toEqual({ minor: 400 });
    for (const [text, currency] of [
      ["40.001", "CNY"],
      ["4.5", "JPY"],
      ["-3", "CNY"],
      ["0", "CNY"],
      ["abc", "CNY"],
      ["", "CNY"],
    ])
      expect(parseMajor(text as string, currency as string), text).toHaveProperty("error");
  });

  it("tells the time left on the given clock", () => {
    const now = Date.parse("2026-12-01T00:00:00Z");
    expect(timeLeft("2026-12-03T05:00:00Z", now)).toBe("2 d 5 h");
    expect(timeLeft("2026-12-01T04:10:30Z", now)).toBe("4 h 10 min");
    expect(timeLeft("2026-11-30T00:00:00Z", now)).toBe("overdue");
    expect(timeLeft(null, now)).toBe("—");
  });
});

describe("the console's HTML", () => {
  it("has no inline script, a policy that runs scripts from its origin only, and its base", () => {
    const page = consolePage({
      base: "/prod/ops/",
      script: "assets/app.ABC.js",
      style: "assets/styles.DEF.css",
      clientId: 'client"<x>',
      authUrl: "https://escrow.auth.us-east-1.amazoncognito.com",
    });
    expect(page.csp).toContain("script-src 'self';");
    expect(page.csp).toContain("default-src 'none'");
    expect(page.csp).toContain("connect-src 'self' https://escrow.auth.us-east-1.amazoncognito.com");
    expect(page.html).toContain('<base href="/prod/ops/">');
    expect(page.html).toContain('<script type="module" src="assets/app.ABC.js"></script>');
    expect(page.html).toContain("client&quot;&lt;x&gt;");
    expect(page.html.match(/<script/g)).toHaveLength(1);
  });
});

describe("the pre-token-generation trigger", () => {
  it("copies the user's custom:tenant into the access token's tenant claim", async () => {
    const event = { request: { userAttributes: { "custom:tenant": "acme", sub: "s" } }, response: {} };
    const out = (await addTenantClaim(event as never)) as unknown as {
      response: {
        claimsAndScopeOverrideDetails: { accessTokenGeneration: { claimsToAddOrOverride: object } };
      };
    };
    expect(out.response.claimsAndScopeOverrideDetails.accessTokenGeneration.claimsToAddOrOverride).toEqual({
      tenant: "acme",
    });
    const none = (await addTenantClaim({
      request: { userAttributes: {} },
      response: {},
    } as never)) as unknown as {
      response: {
        claimsAndScopeOverrideDetails: { accessTokenGeneration: { claimsToAddOrOverride: object } };
      };
    };
    expect(none.response.claimsAndScopeOverrideDetails.accessTokenGeneration.claimsToAddOrOverride).toEqual(
      {},
    );
  });
});
