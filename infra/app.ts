import { createEscrowApp } from "./escrow-stack";

createEscrowApp().app.synth();
