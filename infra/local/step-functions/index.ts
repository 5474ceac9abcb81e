/**
 * The local Step Functions service (one state machine, aws-local-stepfunctions
 * underneath): see service.ts for what it adds to the engine and where it
 * departs from AWS, wire.ts for the AWS JSON endpoint.
 */
import "../polyfills";

export {
  ENGINE_TASK_TIMEOUT_SECONDS,
  type PreparedDefinition,
  prepareDefinition,
  type TaskSpec,
} from "./definition";
export { SfnServiceError } from "./errors";
export { snsErrorName } from "./integrations";
export { isValidExecutionName } from "./names-and-tokens";
export { LocalStepFunctions } from "./service";
export type {
  ExecutionDescription,
  ExecutionListItem,
  ExecutionStatus,
  HistoryEvent,
  JsonValue,
  LocalStepFunctionsOptions,
  SnsPublish,
  SnsPublishParams,
  StartExecutionInput,
  StateMachineDescription,
  StateMachineListItem,
  TaskHandler,
} from "./types";
export {
  createSfnHttpServer,
  createSfnRequestListener,
  handleSfnJsonRequest,
  isSfnRequest,
  type SfnWireOptions,
} from "./wire";
