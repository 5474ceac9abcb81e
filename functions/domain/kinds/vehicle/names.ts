/**
 * The car's own names (API.md v1.1, kind `vehicle`). The domain's
 * enumerations (statuses, events, windows, pending actions, steps) are the
 * common ones and every kind's own, composed in ../names.ts; this file
 * imports nothing, so they are there before any module reads them.
 */
export const VEHICLE_NAMES = {
  /** The reservation deposit is held; the buyer inspects the car. */
  statuses: ["RESERVED"],
  events: ["escrow.reserved", "escrow.inspected"],
  /** Its create body's `windows` key, and the window's name in history and reminders. */
  windows: ["inspectionSeconds"],
  windowNames: ["inspection"],
  /** The accepted inspection (its balance to hold, or its rejection's refund), and the inspection window ending. */
  pendingActions: ["inspection", "auto-cancellation"],
  /** What a reminder says happens when the buyer lets the inspection window pass, if agreed so. */
  ifSilent: ["forfeit_deposit"],
  /** The fields its delivery carries besides the common ones (text): the registration-transfer document's number. */
  deliveryFields: ["titleTransferRef"],
  /** Its workflow steps: the deposit held (the inspection wait), the balance to hold. */
  steps: ["reserved", "balance"],
} as const;

export type VehicleStep = (typeof VEHICLE_NAMES.steps)[number];
