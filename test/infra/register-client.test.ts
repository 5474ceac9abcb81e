import { describe, expect, it } from "vitest";
import { parseRegistration } from "../../infra/register-client";

// Importing the CLI must not run it (no AWS call happens in this file).
describe("register-client arguments", () => {
  it("reads tenant, scope and a default client name; stack outputs by default", () => {
    expect(parseRegistration(["--tenant", "acme", "--scope", "marketplace"])).toEqual({
      tenantId: "acme",
      scope: "marketplace",
      clientName: "acme-marketplace",
      stackName: "Escrow",
      region: undefined,
      userPoolId: undefined,
      tableName: undefined,
    });
  });

  it.each([
    [["--scope", "ops"], "--tenant"],
    [["--tenant", "T#1", "--scope", "ops"], "--tenant"],
    [["--tenant", "acme", "--scope", "admin"], "--scope"],
    [["--tenant", "acme", "--scope", "ops", "--user-pool-id", "p"], "--table-name"],
  ])("rejects %j", (argv, message) => {
    expect(() => parseRegistration(argv)).toThrow(message);
  });
});
