import { Template } from "aws-cdk-lib/assertions";
import { createEscrowApp } from "../../infra/escrow-stack";

/**
 * The app exactly as `cdk synth` builds it, but with asset bundling skipped
 * (context `aws:cdk:bundling-stacks: []`): esbuild runs in bundling.test.ts
 * and in `npm run synth`, not in every template test.
 */
export function synthEscrow(context: Record<string, unknown> = {}) {
  const built = createEscrowApp({ context: { "aws:cdk:bundling-stacks": [], ...context } });
  return { ...built, template: Template.fromStack(built.stack) };
}

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is untyped; the tests navigate it and assert on values.
type Json = any;
export type Resources = Record<
  string,
  { Type: string; Properties?: Json; Metadata?: Json; [k: string]: Json }
>;

export const resourcesOf = (template: Template, type: string): Resources =>
  template.findResources(type) as Resources;

/** The logical id a `{Ref}` or `{Fn::GetAtt}` points at, if any. */
export const refTarget = (value: unknown): string | undefined => {
  if (value && typeof value === "object") {
    const v = value as Record<string, unknown>;
    if (typeof v.Ref === "string") return v.Ref;
    const getAtt = v["Fn::GetAtt"];
    if (Array.isArray(getAtt)) return String(getAtt[0]);
  }
  return undefined;
};

export const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
