import { CfnResource, Lazy, Stack } from "aws-cdk-lib";
import type { IConstruct } from "constructs";

/**
 * Drops from a resource's DependsOn the resource its own properties already
 * reference. Lambda and Step Functions constructs make a function or state
 * machine depend on the role they are given, which the role property's GetAtt
 * already orders (cfn-lint W3005); every other dependency stays, computed at
 * synthesis so later ones are kept too.
 */
export function dropReferencedDependency(resource: CfnResource, referenced: IConstruct): void {
  const target = referenced.node.defaultChild;
  resource.addOverride(
    "DependsOn",
    Lazy.list({
      produce: () =>
        resource
          .obtainDependencies()
          .filter((d): d is CfnResource => d instanceof CfnResource && d !== target)
          .map((d) => Stack.of(resource).resolve(d.logicalId) as string)
          .sort(),
    }),
  );
}
