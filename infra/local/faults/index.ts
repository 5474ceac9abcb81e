/** Fault injection (`/_local/faults`): the registry (service.ts), its body (validation.ts) and route (listener.ts). */

export { syncDynamoFaults } from "./dynamodb-sync";
export { createFaultsListener } from "./listener";
export {
  AMBIGUOUS_TARGETS,
  FAULT_MODES,
  FAULT_TARGETS,
  type FaultRule,
  FaultService,
  type FaultSpec,
} from "./service";
export { parseFaultBody } from "./validation";
