import { DAY, DEFAULT_REMINDER_SECONDS } from "../../durations";
import { goods } from "../goods";
import type { Kind } from "../kind";

/** A service (API.md v1): goods' process, with longer to deliver and less to confirm. */
export const service: Kind = {
  ...goods,
  name: "service",
  windows: {
    deliverySeconds: 14 * DAY,
    confirmationSeconds: 7 * DAY,
    sellerResponseSeconds: 5 * DAY,
    disputeSeconds: 30 * DAY,
    reminderSeconds: DEFAULT_REMINDER_SECONDS,
  },
};
