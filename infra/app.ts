import { App } from "aws-cdk-lib";
import { EscrowStack } from "./escrow-stack";
import { registerNagPacks } from "./nag";

const app = new App();
const stackName = String(app.node.tryGetContext("stackName") ?? "Escrow");
new EscrowStack(app, stackName, {
  description: "Serverless escrow (secured transaction) service",
  terminationProtection: app.node.tryGetContext("terminationProtection") !== "false",
});
registerNagPacks(app);
app.synth();
