import { beforeAll, expect } from "vitest";
import { FUNCTIONS } from "../../infra/service-functions";
import { type Resources, resourcesOf, synthEscrow } from "./synth";

/**
 * The escrow stack as `cdk synth` builds it, synthesized once per test file
 * that calls useStack() (the bindings below are set before its tests run).
 */
export let template: ReturnType<typeof synthEscrow>["template"];
export let stackName: string;
export let json: { Resources: Resources; Outputs: Record<string, unknown> };
/** Function id → logical id of its AWS::Lambda::Function. */
export const fnLogicalId = new Map<string, string>();

export function useStack(): void {
  beforeAll(() => {
    const built = synthEscrow();
    template = built.template;
    stackName = built.stack.stackName;
    json = template.toJSON() as typeof json;
    for (const [id, r] of Object.entries(resourcesOf(template, "AWS::Lambda::Function")))
      fnLogicalId.set(r.Metadata["escrow:functionId"], id);
  });
}

export const byType = (type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type);
/** The one resource of a type, as [logical id, resource]. */
export const only = (type: string) => {
  const found = byType(type);
  expect(found, type).toHaveLength(1);
  return found[0] as [string, Resources[string]];
};
export const apiSpecs = FUNCTIONS.filter((f) => f.route);
/** The ops console's page and assets (API.md v1.2), beside the route table's /v1 routes. */
export const CONSOLE_ROUTES = ["GET /ops", "GET /ops/{proxy+}"];
/** The routes with data: everything but the public documents about the API. */
export const tokenSpecs = apiSpecs.filter((f) => (f.route?.scopes.length ?? 0) > 0);
export const documentSpecs = apiSpecs.filter((f) => f.route?.kind === "document");
export const taskSpecs = FUNCTIONS.filter((f) => f.role === "task");
