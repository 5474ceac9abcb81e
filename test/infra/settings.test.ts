import { App } from "aws-cdk-lib";
import { describe, expect, it } from "vitest";
import { settingsFromContext } from "../../infra/constructs/settings";
import { createEscrowApp } from "../../infra/escrow-stack";

const settings = (context: Record<string, unknown>) => settingsFromContext(new App({ context }).node);

describe("deployment settings from context", () => {
  it("default to a safe first deployment", () => {
    expect(settings({})).toEqual({
      cognitoDomainPrefix: undefined,
      apiRateLimit: 1000,
      apiBurstLimit: 2000,
      wafRateLimitPer5Min: 100_000,
      supportedCurrencies: "CNY,HKD,USD,EUR,GBP,JPY",
      paymentProvider: "sandbox",
      logLevel: "INFO",
      apiGatewayCloudWatchRole: true,
      reconcileSeconds: 300,
      cellId: null,
    });
  });

  it("take overrides given as strings on the command line", () => {
    const s = settings({
      apiRateLimit: "50",
      apiBurstLimit: "100",
      cognitoDomainPrefix: "acme-escrow",
      supportedCurrencies: "USD,EUR",
      apiGatewayCloudWatchRole: "false",
    });
    expect(s).toMatchObject({
      apiRateLimit: 50,
      apiBurstLimit: 100,
      cognitoDomainPrefix: "acme-escrow",
      supportedCurrencies: "USD,EUR",
      apiGatewayCloudWatchRole: false,
    });
  });

  it.each([
    ["apiRateLimit", "fast"],
    ["apiBurstLimit", "-1"],
    ["supportedCurrencies", "usd"],
    ["cognitoDomainPrefix", "Has_Upper"],
    ["apiGatewayCloudWatchRole", "yes"],
    ["reconcileSeconds", "90"],
  ])("reject %s=%s", (key, value) => {
    expect(() => settings({ [key]: value })).toThrow(key);
  });

  it("refuse a stack name that cannot prefix the state machine or the Cognito domain", () => {
    const app = (context: Record<string, unknown>) =>
      createEscrowApp({ context: { "aws:cdk:bundling-stacks": [], ...context } });
    expect(() => app({ stackName: `E${"x".repeat(60)}` })).toThrow("50 at most");
    expect(() => app({ stackName: "AwsEscrow" })).toThrow("cognitoDomainPrefix");
    expect(() => app({ stackName: "AwsEscrow", cognitoDomainPrefix: "acme-escrow" })).not.toThrow();
  });
});
