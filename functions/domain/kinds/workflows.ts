import type { AnyKindWorkflow } from "../../../infra/workflow/routes";
import { RENTAL_DEPOSIT_WORKFLOW } from "./rental-deposit/workflow";
import { VEHICLE_WORKFLOW } from "./vehicle/workflow";

/**
 * The registry's workflow half: each kind's own states and routes
 * (`<kind>/workflow.ts`), which infra/workflow/escrow-definition.ts renders
 * beside the shared ones. Only the rendering reads this (no Lambda bundles
 * it). A kind that takes the shared process's steps only (goods, service) has
 * no line here.
 */
export const KIND_WORKFLOWS: readonly AnyKindWorkflow[] = [VEHICLE_WORKFLOW, RENTAL_DEPOSIT_WORKFLOW];
